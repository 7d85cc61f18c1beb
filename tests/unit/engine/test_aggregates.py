"""Incremental statistics against a naive recomputation (design "Performance shape")."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sortedcontainers import SortedList

from rules.engine import aggregates
from rules.engine.aggregates import RunningStats, describe, percentile_r6

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
value = st.one_of(finite, finite, finite, st.just(math.nan))
op = st.one_of(
    st.tuples(st.just("append"), value),
    st.tuples(st.just("insert"), st.floats(min_value=0, max_value=1), value),
    st.tuples(st.just("pop")),
    st.tuples(st.just("pct"), st.floats(min_value=0, max_value=100)),
)


def _naive_pct(xs: list[float], p: float) -> float:
    return percentile_r6(sorted(xs), p)


def _same(a: float, b: float, scale: float = 1.0) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= 1e-9 * max(1.0, scale)


def _check(stats: RunningStats, naive: list[float]) -> None:
    xs = [v for v in naive if not math.isnan(v)]
    assert stats.values() == pytest.approx(naive, nan_ok=True)
    assert stats.count() == len(xs)
    assert stats.count_nan() == len(naive) - len(xs)
    scale = sum(abs(x) for x in xs)
    assert _same(stats.sum(), math.fsum(xs) if xs else math.nan, scale)
    assert _same(stats.avg(), math.fsum(xs) / len(xs) if xs else math.nan, scale)
    assert _same(stats.min(), min(xs) if xs else math.nan)
    assert _same(stats.max(), max(xs) if xs else math.nan)
    assert _same(stats.first(), xs[0] if xs else math.nan)
    assert _same(stats.last(), xs[-1] if xs else math.nan)


def _apply(o: tuple, stats: RunningStats, naive: list[float]) -> bool:
    """Apply an update op to both sides; False for a ``pct`` op (nothing to update)."""
    if o[0] == "append":
        stats.append(o[1])
        naive.append(o[1])
    elif o[0] == "insert":
        idx = int(o[1] * len(naive))
        stats.insert(idx, o[2])
        naive.insert(idx, o[2])
    elif o[0] == "pop":
        if naive:
            assert _same(stats.popleft(), naive.pop(0))
    else:
        return False
    return True


# Tracking off: min()/max() scan instead of keeping a monotonic queue (rules that never
# ask for them); every answer must stay the same.
TRACKING = [(True, True), (False, True), (True, False), (False, False)]


@pytest.mark.parametrize(("track_min", "track_max"), TRACKING)
@settings(max_examples=200, deadline=None)
@given(ops=st.lists(op, max_size=60))
def test_every_statistic_matches_a_naive_recomputation(track_min, track_max, ops):
    stats = RunningStats(track_min=track_min, track_max=track_max)
    naive: list[float] = []
    for o in ops:
        if not _apply(o, stats, naive):
            xs = [v for v in naive if not math.isnan(v)]
            assert _same(stats.percentile(o[1]), _naive_pct(xs, o[1]), max(map(abs, xs or [1])))
        _check(stats, naive)


def test_percentile_r6_on_one_to_ten():
    xs = [float(i) for i in range(1, 11)]
    got = {p: percentile_r6(xs, p) for p in (5, 10, 50, 75, 90)}
    assert got == pytest.approx({5: 1, 10: 1.1, 50: 5.5, 75: 8.25, 90: 9.9})


def test_median_of_an_out_of_order_sequence():
    s = RunningStats()
    for v in (5.0, 1.0, 3.0):
        s.append(v)
    s.insert(0, 4.0)
    assert s.median() == 3.5
    assert (s.min(), s.max(), s.first(), s.last()) == (1.0, 5.0, 4.0, 3.0)


def test_empty_statistics_are_nan_and_counts_zero():
    s = RunningStats()
    s.append(math.nan)
    assert s.count() == 0
    assert s.count_nan() == 1
    for fn in (s.sum, s.avg, s.min, s.max, s.first, s.last, s.median):
        assert math.isnan(fn())


def test_sum_returns_to_exact_zero_when_emptied():
    s = RunningStats()
    for v in (0.1, 0.2, 0.3):
        s.append(v)
    for _ in range(3):
        s.popleft()
    s.append(1.0)
    assert s.sum() == 1.0


# §9 row 29: the §4.5 check values (relative error < 1e-9).
CHECK_VALUES = [18.97742859958052, 21.09692237912773, 22.72808635185156]
CHECK_TIMES = [1_500_000_000_000, 1_500_000_015_000, 1_500_000_030_000]


def test_details_statistics_match_the_spec_check_values():
    got = describe(CHECK_VALUES, CHECK_TIMES)
    expected = {
        "sum": 62.80243733055981,
        "avg": 20.93414577685327,
        "wavg": 21.559255402231774,
        "wtavg": 22.10622632443797,
        "variance": 3.53673056035372,
        "stddev": 1.880619727737036,
        "percentile(50)": 21.09692237912773,
        "percentile(75)": 22.72808635185156,
        "percentile(90)": 22.72808635185156,
        "percentile(99)": 22.72808635185156,
    }
    for name, want in expected.items():
        assert got[name] == pytest.approx(want, rel=1e-9), name
    assert got["slope"] == pytest.approx(1.250219e-4, rel=1e-6)


def test_incremental_statistics_match_the_spec_check_values():
    s = RunningStats()
    for v in CHECK_VALUES:
        s.append(v)
    assert s.sum() == pytest.approx(62.80243733055981, rel=1e-12)
    assert s.avg() == pytest.approx(20.93414577685327, rel=1e-12)
    assert s.percentile(50) == pytest.approx(21.09692237912773, rel=1e-12)
    assert s.percentile(99) == pytest.approx(22.72808635185156, rel=1e-12)


def test_describe_of_an_empty_window():
    got = describe([math.nan], [0])
    assert got["count"] == 0
    assert got["countNaN"] == 1
    assert math.isnan(got["avg"])


@pytest.mark.parametrize(("track_min", "track_max"), TRACKING)
def test_long_monotonic_runs_keep_min_and_max_exact(track_min, track_max):
    # Decreasing then increasing values: the max queue grows to the whole window, then
    # the min queue does; the consumed head is cut off as values leave.
    s = RunningStats(track_min=track_min, track_max=track_max)
    naive: list[float] = []
    values = [float(-i) for i in range(300)] + [float(i) for i in range(300)] + [0.0, -0.0] * 50
    for v in values:
        s.append(v)
        naive.append(v)
        if len(naive) > 97:
            assert s.popleft() == naive.pop(0)
        assert (s.min(), s.max()) == (min(naive), max(naive))


def test_nan_values_come_and_go_without_changing_first_last_or_counts():
    s = RunningStats()
    naive: list[float] = []
    for v in [1.0, math.nan, 2.0, math.nan, 3.0, 4.0, 5.0, math.nan, 6.0, 7.0, 8.0]:
        s.append(v)
        naive.append(v)
        if len(naive) > 3:
            s.popleft()
            naive.pop(0)
        _check(s, naive)


def _neumaier(terms: list[float]) -> float:
    s = c = 0.0
    for x in terms:
        t = s + x
        c += (s - t) + x if abs(s) >= abs(x) else (x - t) + s
        s = t
    return s + c


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.booleans(), st.floats(-1e12, 1e12, allow_nan=False).filter(bool)),
        max_size=80,
    )
)
def test_the_compensated_sum_equals_neumaier_bit_for_bit(steps):
    # TwoSum and Neumaier both add the exact rounding error of every step.
    s = RunningStats()
    held: list[float] = []
    terms: list[float] = []
    for pop, v in steps:
        if pop and held:
            terms.append(-s.popleft())
            held.pop(0)
        else:
            s.append(v)
            held.append(v)
            terms.append(v)
        if held:
            assert s.sum() == _neumaier(terms)
        else:
            terms = []  # an emptied window restarts from an exact 0


# Ordered storage switches between a plain sorted list and a SortedList at
# SMALL_ORDER_MAX/SMALL_ORDER_MIN; small bounds here let random streams cross both ways.
@settings(max_examples=300, deadline=None)
@given(ops=st.lists(op, max_size=120), ps=st.lists(st.floats(0, 100), min_size=1, max_size=4))
def test_order_statistics_match_a_sorted_copy_in_both_storage_forms(ops, ps):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(aggregates, "SMALL_ORDER_MAX", 6)
        mp.setattr(aggregates, "SMALL_ORDER_MIN", 3)
        stats = RunningStats(track_min=False, track_max=False)
        stats.keep_order()
        naive: list[float] = []
        for o in ops:
            _apply(o, stats, naive)
            xs = sorted(v for v in naive if not math.isnan(v))
            for p in ps:
                assert _same(stats.percentile(p), percentile_r6(xs, p), max(map(abs, xs or [1])))
            assert _same(stats.median(), percentile_r6(xs, 50), max(map(abs, xs or [1])))
            _check(stats, naive)


def test_ordered_storage_grows_into_a_sorted_list_and_shrinks_back():
    s = RunningStats()
    s.keep_order()
    values = [float((i * 7919) % 5003) for i in range(aggregates.SMALL_ORDER_MAX + 1)]
    for v in values:
        s.append(v)
    assert isinstance(s._sorted, SortedList)
    assert s.percentile(90) == percentile_r6(sorted(values), 90)
    while len(s) >= aggregates.SMALL_ORDER_MIN:
        s.popleft()
    assert not isinstance(s._sorted, SortedList)
    assert s.median() == percentile_r6(sorted(values[-len(s) :]), 50)


def test_windows_of_rules_without_order_statistics_keep_no_ordered_storage():
    s = RunningStats()
    for v in (3.0, 1.0, 2.0):
        s.append(v)
    assert s._sorted is None
    assert s.median() == 2.0  # asking builds it, and it is kept from then on
    assert list(s._sorted) == [1.0, 2.0, 3.0]
