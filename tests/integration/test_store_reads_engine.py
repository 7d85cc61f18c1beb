"""Functions that read the stores, through the running engine: db_last in a condition
and loadHistory, fed by the series history that ingest records (real worker, Redis,
database)."""

from __future__ import annotations

import time

import pytest

from rules.events import SERIES, Event
from rules.history import recorder
from rules.ingest.pipeline import hand_off
from rules.models import Alert
from rules.routing.handoff import route_table
from tests.engine_helpers import make_rule, poll

pytestmark = pytest.mark.integration


def sample(metric: str, value: float, t: int, entity: str = "db-1") -> Event:
    return Event(SERIES, entity, metric, {}, t, t, value)


def test_db_last_and_load_history_read_what_ingest_recorded(engine_worker):
    now = int(time.time() * 1000)
    hand_off([sample("disk_total", 100.0, now - 3000), sample("load", 1.0, now - 2000),
              sample("load", 2.0, now - 1000)])  # fmt: skip
    recorder.recorder.flush()
    make_rule("disk-nearly-full", "disk_used", "value > 0.9 * db_last('disk_total')", "length(1)")
    make_rule("load-three", "load", "count() == 3 && sum() == 6", "length(3)", load_history=True)
    route_table().refresh(force=True)  # the router re-reads rules at most once a second

    hand_off([sample("disk_used", 95.0, now), sample("load", 3.0, now)])

    alert = poll(lambda: Alert.objects.filter(rule="disk-nearly-full").first(), what="db_last")
    assert alert.value == 95.0
    poll(lambda: Alert.objects.filter(rule="load-three").exists(), what="loadHistory")
    recorder.recorder.flush()  # nothing left for the recorder thread once Redis stops
