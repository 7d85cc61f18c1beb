"""Celery's routine lines are DEBUG records and beat's send errors one line (the LOGGING
of settings, applied to the records Celery's own code writes)."""

from __future__ import annotations

import logging
import warnings

import pytest
from celery import beat
from celery.app import trace
from celery.exceptions import CPendingDeprecationWarning
from celery.worker import strategy
from celery.worker.consumer import consumer


@pytest.fixture
def captured(caplog):
    caplog.set_level(logging.INFO)
    return caplog


def test_beat_ticks_and_task_success_are_not_logged_at_info(captured):
    beat.info("Scheduler: Sending due task %s (%s)", "tick-engine-0", "rules.tick_partition")
    context = {"id": "b1", "name": "rules.tick_partition", "return_value": 0, "runtime": 0.01}
    trace.info(trace.LOG_SUCCESS, context)
    strategy.logger.info(trace.LOG_RECEIVED, {"id": "b1", "name": "rules.tick_partition"})
    assert captured.records == []


def test_at_debug_they_are_debug_records(caplog):
    caplog.set_level(logging.DEBUG)
    beat.info("Scheduler: Sending due task %s (%s)", "tick-engine-0", "rules.tick_partition")
    [record] = caplog.records
    assert (record.levelname, record.getMessage()) == (
        "DEBUG",
        "Scheduler: Sending due task tick-engine-0 (rules.tick_partition)",
    )


def test_starts_retries_and_failures_stay_at_their_level(captured):
    beat.info("beat: Starting...")
    trace.info(trace.LOG_RETRY, {"id": "r1", "name": "notifications.notify", "exc": "503"})
    trace.logger.error(trace.LOG_FAILURE, {"id": "f1", "name": "rules.wake_partition",
                                           "exc": "boom", "description": "raised"})  # fmt: skip
    assert [r.levelname for r in captured.records] == ["INFO", "INFO", "ERROR"]


def test_a_task_beat_cannot_send_is_one_line(captured):
    try:
        raise ConnectionError("Error 111 connecting to redis.sock. Connection refused.")
    except ConnectionError as exc:
        beat.error("Message Error: %s\n%s", exc, ["  File ...\n"] * 20, exc_info=True)
    [record] = captured.records
    assert record.getMessage() == (
        "Message Error: Error 111 connecting to redis.sock. Connection refused."
    )
    assert record.exc_info is None
    assert captured.text.count("\n") == 1


def test_the_celery_6_notice_at_every_reconnect_is_dropped(captured):
    warned = logging.getLogger("py.warnings")  # where logging.captureWarnings sends them
    for text, category in (
        (consumer.CANCEL_TASKS_BY_DEFAULT, CPendingDeprecationWarning),
        ("another warning", UserWarning),
    ):
        warned.warning("%s", warnings.formatwarning(text, category, "consumer.py", 427))
    [record] = captured.records
    assert "UserWarning: another warning" in record.getMessage()
