"""Count and time windows (spec §3.3) against naive lists; window spec parsing."""

from __future__ import annotations

import math
import random
import re
from array import array
from bisect import bisect_right
from collections import deque

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.engine import windows
from rules.engine.windows import (
    CountWindow,
    TimeWindow,
    WindowLimits,
    WindowSpecError,
    parse_window_spec,
)

value = st.one_of(st.floats(-1e3, 1e3, allow_nan=False), st.just(math.nan))


def _naive_insert(naive: list[tuple[int, float]], t: int, v: float) -> None:
    pos = bisect_right([x[0] for x in naive], t)
    naive.insert(pos, (t, v))


def _assert_window_matches(w, naive: list[tuple[int, float]]) -> None:
    assert w.times() == [t for t, _ in naive]
    assert w.values() == pytest.approx([v for _, v in naive], nan_ok=True)
    xs = [v for _, v in naive if not math.isnan(v)]
    assert w.count() == len(xs)
    assert w.count_nan() == len(naive) - len(xs)
    for got, want in (
        (w.min(), min(xs) if xs else math.nan),
        (w.max(), max(xs) if xs else math.nan),
        (w.first(), xs[0] if xs else math.nan),
        (w.last(), xs[-1] if xs else math.nan),
        (w.avg(), math.fsum(xs) / len(xs) if xs else math.nan),
    ):
        assert got == pytest.approx(want, nan_ok=True, abs=1e-9)


# min()/max() structures on and off (a rule that never asks for them keeps none).
TRACKING = pytest.mark.parametrize("track", [True, False])


@TRACKING
@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(min_value=1, max_value=6),
    samples=st.lists(st.tuples(st.integers(0, 30), value), max_size=40),
)
def test_count_window_matches_a_sorted_list_trimmed_to_n(track, n, samples):
    w = CountWindow(n, track_min=track, track_max=track)
    naive: list[tuple[int, float]] = []
    for t, v in samples:
        assert w.insert_sample(t, v) is True  # a count window always evaluates
        _naive_insert(naive, t, v)
        if len(naive) > n:
            naive.pop(0)  # the oldest; when that is the new sample, contents are unchanged
        _assert_window_matches(w, naive)


@TRACKING
@settings(max_examples=200, deadline=None)
@given(
    duration=st.integers(min_value=1, max_value=20),
    steps=st.lists(
        st.tuples(st.integers(0, 5), st.integers(-25, 5), value, st.booleans()), max_size=40
    ),
)
def test_time_window_matches_a_naive_prune_then_insert(track, duration, steps):
    w = TimeWindow(duration, track_min=track, track_max=track)
    naive: list[tuple[int, float]] = []
    now = 100
    for advance, offset, v, expire in steps:
        now += advance
        cutoff = now - duration
        if expire:
            removed = w.expire(now)
            want = [s for s in naive if s[0] < cutoff]
            assert [r[0] for r in removed] == [s[0] for s in want]
            naive = [s for s in naive if s[0] >= cutoff]
        else:
            t = now + offset
            accepted = w.insert_sample(t, v, now)
            naive = [s for s in naive if s[0] >= cutoff]
            assert accepted is (t >= cutoff)
            if accepted:
                _naive_insert(naive, t, v)
        _assert_window_matches(w, naive)


def test_count_window_inserts_after_equal_times_and_evicts_the_oldest():
    w = CountWindow(3)
    for t, v in ((10, 1.0), (20, 2.0), (20, 3.0)):
        w.insert_sample(t, v)
    w.insert_sample(10, 4.0)  # lands after the (10, 1.0) sample, which is evicted
    assert w.samples() == [(10, 4.0), (20, 2.0), (20, 3.0)]


def test_count_window_keeps_contents_when_the_new_sample_is_the_oldest():
    w = CountWindow(2)
    w.insert_sample(10, 1.0)
    w.insert_sample(20, 2.0)
    assert w.insert_sample(5, 9.0) is True
    assert w.samples() == [(10, 1.0), (20, 2.0)]


def test_time_window_ignores_an_event_older_than_the_window():
    w = TimeWindow(60_000)
    assert w.insert_sample(0, 1.0, now_ms=120_000) is False
    assert w.count() == 0


def test_time_window_expiry_returns_removed_samples_oldest_first():
    w = TimeWindow(1000)
    for t in (0, 500, 900):
        w.insert_sample(t, float(t), now_ms=900)
    assert w.next_expiry() == 1001
    assert w.expire(1600) == [(0, 0.0), (500, 500.0)]
    assert w.samples() == [(900, 900.0)]
    assert math.isnan(TimeWindow(5).avg())


@pytest.mark.parametrize(
    ("text", "kind", "size", "canonical"),
    [
        ("length(3)", "count", 3, "length(3)"),
        ("count(100)", "count", 100, "length(100)"),
        (" COUNT( 7 ) ", "count", 7, "length(7)"),
        ("time(15 minute)", "time", 900_000, "time(15 minute)"),
        ("time(1 MINUTES)", "time", 60_000, "time(1 minutes)"),
        ("time(500 millisecond)", "time", 500, "time(500 millisecond)"),
        ("time(2 Hours)", "time", 7_200_000, "time(2 hours)"),
        ("time(1 day)", "time", 86_400_000, "time(1 day)"),
        ("time(1 week)", "time", 604_800_000, "time(1 week)"),
        ("time(1 year)", "time", 365 * 86_400_000, "time(1 year)"),
    ],
)
def test_window_specs_parse(text, kind, size, canonical):
    spec = parse_window_spec(text)
    assert (spec.kind, spec.size, spec.text) == (kind, size, canonical)


def test_count_spec_displays_as_count():
    assert parse_window_spec("length(3)").display == "count(3)"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("length()", "positive integer"),
        ("length(0)", "at least 1"),
        ("length(2.5)", "positive integer"),
        ("time(15)", "time(N unit)"),
        ("time(15 fortnight)", "unknown unit 'fortnight'"),
        ("time(0 minute)", "at least 1"),
        ("window(3)", "is not length(N)"),
        ("length(3", "is not length(N)"),
    ],
)
def test_bad_window_specs_say_what_is_wrong(text, message):
    with pytest.raises(WindowSpecError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_window_spec(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("length(³)", "positive integer"),  # a digit to str.isdigit, not to int()
        ("length(" + "9" * 5000 + ")", "too large"),  # past int()'s own digit limit
        ("time(1.5 minute)", "whole N"),
    ],
)
def test_windows_only_ascii_whole_numbers(text, message):
    with pytest.raises(WindowSpecError, match=message):
        parse_window_spec(text)


LIMITS = WindowLimits(max_count=1000, max_ms=3_600_000)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("length(1001)", "1001 samples is more than the limit of 1000 (RULE_MAX_WINDOW_COUNT)"),
        ("count(1000000000)", "(RULE_MAX_WINDOW_COUNT)"),
        ("time(61 minute)", "longer than the limit of 3,600 seconds (RULE_MAX_WINDOW_SECONDS)"),
        ("time(1 year)", "(RULE_MAX_WINDOW_SECONDS)"),
    ],
)
def test_windows_over_the_limits_are_refused_naming_the_setting(text, message):
    with pytest.raises(WindowSpecError, match=re.escape(message)):
        parse_window_spec(text, LIMITS)


def test_windows_at_the_limits_are_accepted():
    assert parse_window_spec("length(1000)", LIMITS).size == 1000
    assert parse_window_spec("time(1 hour)", LIMITS).size == 3_600_000


def test_add_reports_removed_samples_and_leaves_an_expired_sample_out_untouched():
    w = TimeWindow(1000)
    assert [w.add(t, 1.0, now_ms=t) for t in (0, 500, 900)] == [0, 0, 0]
    assert w.add(100, 2.0, now_ms=1200) == -1  # too old: nothing pruned, nothing added
    assert w.times() == [0, 500, 900]
    assert w.add(1600, 3.0, now_ms=1600) == 2
    assert w.times() == [900, 1600]
    c = CountWindow(2)
    assert [c.add(t, 1.0) for t in (10, 20, 30, 5)] == [0, 0, 1, 1]
    assert c.times() == [20, 30]


@pytest.mark.parametrize("track", [True, False])
def test_windows_past_the_array_size_keep_their_samples_exactly_in_deques(track, monkeypatch):
    """Small windows keep arrays, larger ones deques (a time window switches when it
    first prunes past the size): the contents and aggregates are the same either way."""
    monkeypatch.setattr(windows, "SMALL_WINDOW", 4)
    rng = random.Random(7)
    count, time_w = (
        CountWindow(6, track_min=track, track_max=track),
        TimeWindow(40, track_min=track, track_max=track),
    )
    in_count: list[tuple[int, float]] = []
    in_time: list[tuple[int, float]] = []
    now = 100
    for _ in range(400):
        now += rng.choice((0, 1, 2, 5))
        t = now - rng.choice((0, 0, 0, 3, 30))  # mostly in order, some late samples
        v = math.nan if rng.random() < 0.05 else rng.uniform(-10, 10)
        count.insert_sample(t, v)
        _naive_insert(in_count, t, v)
        del in_count[:-6]
        if rng.random() < 0.1:
            time_w.expire(now)
        elif time_w.insert_sample(t, v, now):
            _naive_insert(in_time, t, v)
        in_time = [s for s in in_time if s[0] >= now - 40]
        _assert_window_matches(count, in_count)
        _assert_window_matches(time_w, in_time)
    assert isinstance(count._t, deque)
    assert isinstance(time_w._t, deque)
    assert isinstance(CountWindow(4)._t, array)
