"""Derived commands reach ingest (spec §2.2): the alert store hands the rendered lines
over after commit and the ingest task parses and hands off them as if received."""

from __future__ import annotations

import pytest

from rules.alerts.store import send_derived_commands, store_items
from rules.contract.triggers import DERIVED_ACTION, encode_trigger
from rules.engine.actions import ActionSettings
from rules.engine.definition import RuleDefinition
from rules.engine.engine import Engine
from rules.events import Event
from rules.ingest import pipeline
from rules.ingest.tasks import ingest_derived
from rules.models import RuleErrorRecord
from rules.models.catalog import Metric

pytestmark = pytest.mark.django_db


def test_stored_trigger_sends_its_derived_commands_after_commit(django_capture_on_commit_callbacks):
    engine = Engine()
    engine.install(
        RuleDefinition(
            "disk", "used", "value > 80", "length(1)",
            actions=(ActionSettings(DERIVED_ACTION),),
            derived_command="series e:${entity} m:free=${100 - value}",
        )
    )  # fmt: skip
    [trigger] = engine.process(Event("series", "db1", "used", {}, 1, 1, 90.0), 1)
    with django_capture_on_commit_callbacks() as callbacks:
        store_items(0, [{"id": "0:derived:0", "trigger": encode_trigger(trigger)}])
    # The store also counts the stored triggers after commit (rules.alerts.stages).
    [callback] = [c for c in callbacks if getattr(c, "func", None) is send_derived_commands]
    assert callback.args == ([("disk", ["series e:db1 m:free=10"], 1)],)


def test_ingest_task_hands_off_with_the_depth_and_reports_bad_lines(monkeypatch):
    handed: list[Event] = []
    real = pipeline.hand_off

    def spy(events, commands=None):
        handed.extend(events)
        return real(events, commands)

    monkeypatch.setattr("rules.ingest.tasks.hand_off", spy)
    count = ingest_derived("disk", ["series e:db1 m:free=10 m:used=90", "series e:"], 2)
    assert count == 2
    assert [(e.metric, e.value, e.derived_depth) for e in handed] == [
        ("free", 10.0, 2),
        ("used", 90.0, 2),
    ]
    assert Metric.objects.filter(name="free").exists()  # registered by the real hand-off
    [error] = RuleErrorRecord.objects.all()
    assert (error.rule, error.expression) == ("disk", "series e:")
    assert error.error.startswith("derived command refused:")
