"""Alert file logs (alertLoggerName): one line per trigger in DATA_DIR/logs/<name>.log,
rotated by size, a hostile name kept inside the folder, written when alerts are stored."""

from __future__ import annotations

import logging

import pytest

from rules.alerts.file_log import (
    ALERT_LOGGER_PREFIX,
    alert_logger,
    log_file_name,
    write_alert_lines,
)
from rules.contract.triggers import ALERT_LOG_ACTION
from rules.engine.actions import ActionSettings
from rules.models import AlertHistory
from tests.unit.alerts.test_store import stored_logging

T0 = 1_700_000_000_000


@pytest.fixture
def log_dir(tmp_path, settings):
    settings.ALERT_LOG_DIR = tmp_path / "logs"
    return settings.ALERT_LOG_DIR


def test_each_text_is_one_line_of_the_named_file(log_dir):
    write_alert_lines([("atsd.alert.default", "a\tOPEN"), ("atsd.alert.default", "b\nc")])
    assert (log_dir / "atsd.alert.default.log").read_text() == "a\tOPEN\nb\\nc\n"


@pytest.mark.parametrize("name", ["../../x", "/etc/passwd", "..", "a/../../b", "~root", ""])
def test_a_hostile_name_stays_in_the_log_folder(log_dir, name):
    write_alert_lines([(name, "line")])
    [written] = [p for p in log_dir.parent.rglob("*") if p.is_file()]
    assert written.parent == log_dir
    assert written.name == log_file_name(name)
    assert not written.name.startswith(".")


def test_a_rule_chosen_name_never_reaches_the_servers_own_loggers(log_dir):
    logger = alert_logger("django")
    assert logger.name == ALERT_LOGGER_PREFIX + "django"
    assert logger.propagate is False
    assert not logging.getLogger("django").handlers or all(
        not isinstance(h, logging.handlers.RotatingFileHandler)
        for h in logging.getLogger("django").handlers
    )


def test_rotation_keeps_the_configured_number_of_bounded_files(log_dir, settings):
    settings.ALERT_LOG_MAX_BYTES = 200
    settings.ALERT_LOG_BACKUP_COUNT = 2
    write_alert_lines(("rotating", f"line {n:04d} " + "x" * 40) for n in range(100))
    files = sorted(p.name for p in log_dir.iterdir())
    assert files == ["rotating.log", "rotating.log.1", "rotating.log.2"]
    assert all((log_dir / f).stat().st_size <= 200 for f in files)
    assert (log_dir / "rotating.log").read_text().splitlines()[-1].startswith("line 0099")


@pytest.mark.django_db(transaction=True)
def test_stored_triggers_write_their_logging_text_to_the_rules_file_log(log_dir):
    texts = ("${entity} open ${value}", "", "")
    actions = (ActionSettings(ALERT_LOG_ACTION),)
    stored_logging(actions, alert_texts=texts, alert_logger="ops.alerts")
    lines = (log_dir / "ops.alerts.log").read_text().splitlines()
    assert lines == ["db1 open 9", "Cancel alert for db1, cpu, {}"]
    assert not AlertHistory.objects.exists()  # the file log does not need alert history


def test_a_folder_that_cannot_be_made_is_a_warning_not_a_failure(tmp_path, settings, caplog):
    (tmp_path / "taken").write_text("a file where the folder should be")
    settings.ALERT_LOG_DIR = tmp_path / "taken" / "logs"
    write_alert_lines([("ops", "line")])
    assert "alert file log 'ops' not written" in caplog.text
