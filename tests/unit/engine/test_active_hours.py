"""dateFilter: a rule processes events only inside its active hours (spec §2.2)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rules.engine.active_hours import ActiveHours
from rules.engine.definition import RuleDefinition
from rules.engine.engine import Engine
from rules.events import Event
from rules.rulesxml.date_filter import read_date_filter


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def test_the_corpus_schedule_is_always():
    xml = (
        "<dateFilter><start-time>00:00</start-time><end-time>24:00</end-time>"
        "<type>ALL</type></dateFilter>"
    )
    assert read_date_filter(xml) is None
    assert read_date_filter("") is None


@pytest.mark.parametrize(
    ("start", "end", "kind", "when", "active"),
    [
        ("09:00", "17:00", "ALL", "2026-12-07T09:00", True),  # a Monday
        ("09:00", "17:00", "ALL", "2026-12-07T17:00", False),
        ("09:00", "17:00", "WORKING_DAYS", "2026-12-12T10:00", False),  # Saturday
        ("09:00", "17:00", "weekends", "2026-12-12T10:00", True),
        ("22:00", "06:00", "WORKING_DAYS", "2026-12-12T05:00", True),  # Friday's night
        ("22:00", "06:00", "WORKING_DAYS", "2026-12-13T05:00", False),  # Saturday's night
    ],
)
def test_active_hours(start, end, kind, when, active):
    hours = ActiveHours.parse(start, end, kind)
    assert hours is not None
    assert hours.active(ms(when), "UTC") is active


def test_server_time_zone_decides_the_hour():
    hours = ActiveHours.parse("09:00", "17:00", "ALL")
    assert hours is not None
    assert not hours.active(ms("2026-12-07T09:30"), "America/New_York")  # 04:30 there


@pytest.mark.parametrize(
    ("xml", "reason"),
    [
        ("<dateFilter><type>HOLIDAYS</type></dateFilter>", "type 'HOLIDAYS'"),
        ("<dateFilter><start-time>25:00</start-time></dateFilter>", "'25:00' is not a time"),
        ("<dateFilter><days>1</days></dateFilter>", "unexpected child <days>"),
    ],
)
def test_what_cannot_run_is_named(xml, reason):
    with pytest.raises(ValueError, match=reason):
        read_date_filter(xml)


def test_events_outside_active_hours_are_dropped():
    engine = Engine()
    hours = ActiveHours.parse("09:00", "17:00", "ALL")
    engine.install(RuleDefinition("d", "m", "value > 1", "length(1)", active_hours=hours))
    night, day = ms("2026-12-07T03:00"), ms("2026-12-07T10:00")
    assert engine.process(Event("series", "e", "m", {}, night, night, 5.0), night) == []
    [opened] = engine.process(Event("series", "e", "m", {}, day, day, 5.0), day)
    assert opened.status == "OPEN"
    steps = [entry["step"] for entry in engine.rules["d"].filter_log.to_list()]
    assert steps == ["date_filter", "accepted"]
