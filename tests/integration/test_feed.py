"""``manage.py feed`` against an in-process TCP listener: what it sends is what the engine gets."""

from __future__ import annotations

import io
import itertools
import threading
import time

import pytest
from django.core.management import CommandError, call_command

from devtools.feed import (
    backfill_times,
    parse_tags,
    pattern_value,
    pattern_values,
    quote,
    series_line,
)
from rules.events import Event
from rules.ingest.tcp import CommandListener, ListenerThread

pytestmark = pytest.mark.integration


class Received:
    """A hand-off that keeps the events (the listener calls it from its own thread)."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._lock = threading.Lock()

    def __call__(self, events: list[Event]) -> None:
        with self._lock:
            self.events.extend(events)


@pytest.fixture
def listener():
    received = Received()
    thread = ListenerThread(CommandListener(received, flush_ms=10))
    thread.start()
    yield thread.port, received
    thread.stop()


def feed(port: int, *args: str) -> str:
    out = io.StringIO()
    call_command("feed", "--port", str(port), "--interval", "0", *args, stdout=out)
    return out.getvalue()


def test_high_samples_arrive_as_series_events_with_their_tags(listener):
    port, received = listener
    out = feed(port, "--pattern", "high", "--count", "3", "--tags", "host=axibase")

    # debug lines are answered after the hand-off: nothing to wait for.
    assert [(e.kind, e.entity, e.metric, e.value) for e in received.events] == [
        ("series", "atsd", "jvm_memory_used_percent", 86.0),
        ("series", "atsd", "jvm_memory_used_percent", 89.0),
        ("series", "atsd", "jvm_memory_used_percent", 92.0),
    ]
    assert all(e.tags == {"host": "axibase"} for e in received.events)
    assert out.splitlines() == [
        "series e:atsd m:jvm_memory_used_percent=86 t:host=axibase",
        "series e:atsd m:jvm_memory_used_percent=89 t:host=axibase",
        "series e:atsd m:jvm_memory_used_percent=92 t:host=axibase",
        f"3 samples sent to 127.0.0.1:{port}",
    ]


def test_entity_metric_and_tags_with_spaces_are_quoted_and_read_back(listener):
    port, received = listener
    feed(
        port, "--entity", "nur adm", "--metric", "cpu_busy", "--pattern", "low",
        "--count", "2", "--tags", 'dc="east" 1,rack=a=b', "--tags", "os=linux",
    )  # fmt: skip
    assert [(e.entity, e.metric, e.value) for e in received.events] == [
        ("nur adm", "cpu_busy", 2.0),
        ("nur adm", "cpu_busy", 3.0),
    ]
    assert received.events[0].tags == {"dc": '"east" 1', "rack": "a=b", "os": "linux"}


def test_backfill_spreads_the_samples_over_the_last_minutes_oldest_first(listener):
    port, received = listener
    before = int(time.time() * 1000)
    feed(port, "--pattern", "wave", "--count", "5", "--backfill", "60")
    after = int(time.time() * 1000)
    times = [e.time_ms for e in received.events]
    assert [e.value for e in received.events] == [50.0, 63.9, 76.5, 86.4, 92.8]
    assert [b - a for a, b in itertools.pairwise(times)] == [15 * 60_000] * 4
    assert before <= times[-1] <= after
    assert backfill_times(1, 60, 1000) == [1000]


def test_a_refused_line_stops_the_feed_with_the_listeners_reason(listener):
    port, received = listener
    with pytest.raises(CommandError, match=r"line 1 \(series e:atsd m:\"\"=86\) was not accepted"):
        feed(port, "--metric", "", "--pattern", "high", "--count", "2")
    assert received.events == []


def test_no_listener_is_reported_plainly():
    with pytest.raises(CommandError, match=r"cannot send to the TCP listener at 127\.0\.0\.1:1 "):
        call_command("feed", "--port", "1", "--count", "1", stdout=io.StringIO())


def test_bad_tags_and_negative_counts_are_refused_before_sending():
    with pytest.raises(CommandError, match="--tags: tag 'host' is not name=value"):
        call_command("feed", "--port", "1", "--tags", "host", stdout=io.StringIO())
    with pytest.raises(CommandError, match="must not be negative"):
        call_command("feed", "--port", "1", "--count", "-1", stdout=io.StringIO())
    with pytest.raises(CommandError, match="--backfill needs a --count"):
        call_command("feed", "--port", "1", "--count", "0", "--backfill", "5", stdout=io.StringIO())


def test_patterns_cross_the_walkthrough_thresholds():
    """``avg() > 10 || max() > 85``: high opens on its own, low never does."""
    high = list(pattern_values("high", 20))
    low = list(pattern_values("low", 20))
    wave = list(pattern_values("wave", 20))
    assert min(high) > 85
    assert max(high) <= 95
    assert max(low) <= 10
    assert min(low) >= 2
    assert wave[0] == 50.0
    assert max(wave) == 95.0
    assert min(wave) == 5.0
    assert len(list(zip(range(50), pattern_values("wave", 0), strict=False))) == 50  # endless
    with pytest.raises(ValueError, match="unknown pattern 'spike'"):
        pattern_value("spike", 0)


def test_lines_quote_only_what_needs_it():
    assert quote("atsd") == "atsd"
    assert quote("") == '""'
    assert quote('a "b"=c') == '"a ""b""=c"'
    assert series_line("atsd", "m", 22.7, {}) == "series e:atsd m:m=22.7"
    assert parse_tags(["host=axibase, env = demo", ""]) == {"host": "axibase", "env": "demo"}
