"""Spec §4.5 check values and selectors. Samples are 15 s apart."""

import math

import pytest

from rules.expressions.compiler import compile_expression
from rules.expressions.errors import EvaluationError, ExpressionError
from tests.unit.expressions.doubles import DictContext, ListWindow

SAMPLES = [18.97742859958052, 21.09692237912773, 22.72808635185156]
T0 = 1_700_000_000_000


def run(text, values=SAMPLES, now_ms=None, step_ms=15_000, names=None):
    window = ListWindow.of(values, start_ms=T0, step_ms=step_ms)
    if now_ms is None:
        now_ms = T0 + step_ms * (len(values) - 1)
    ctx = DictContext(names or {}, window=window, now_ms=now_ms)
    return compile_expression(text, "condition").evaluate(ctx)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sum()", 62.80243733055981),
        ("avg()", 20.93414577685327),
        ("mean()", 20.93414577685327),
        ("wavg()", 21.559255402231774),
        ("wtavg()", 22.10622632443797),
        ("variance()", 3.53673056035372),
        ("stdev()", 1.880619727737036),
        ("std_dev()", 1.880619727737036),
        ("percentile(50)", 21.09692237912773),
        ("median()", 21.09692237912773),
        ("percentile(75)", 22.72808635185156),
        ("percentile(90)", 22.72808635185156),
        ("percentile(99)", 22.72808635185156),
        ("ema()", 20.3124981213134),
        ("slope()", 1.250219e-4),
        ("rate_per_second()", 0.1250219),
        ("rate_per_minute()", 0.1250219 * 60),
        ("rate_per_hour()", 0.1250219 * 3600),
        ("slope_per_second()", 1.250219e-4 * 1000),
        ("slope_per_minute()", 1.250219e-4 * 60_000),
        ("slope_per_hour()", 1.250219e-4 * 3_600_000),
        ("min()", 18.97742859958052),
        ("max()", 22.72808635185156),
        ("first()", 18.97742859958052),
        ("last()", 22.72808635185156),
        ("diff()", 22.72808635185156 - 18.97742859958052),
        ("delta()", 22.72808635185156 - 18.97742859958052),
    ],
)
def test_check_values(text, expected):
    # slope and rate are given with 7 significant digits in the spec.
    tolerance = 1e-6 if ("slope" in text or "rate" in text) else 1e-9
    assert run(text) == pytest.approx(expected, rel=tolerance)


@pytest.mark.parametrize(
    ("p", "expected"), [(5, 1), (10, 1.1), (50, 5.5), (75, 8.25), (90, 9.9), (100, 10)]
)
def test_percentiles_on_one_to_ten(p, expected):
    assert run(f"percentile({p})", values=list(range(1, 11))) == pytest.approx(expected, rel=1e-12)
    assert run(f"percentile({p}, 10)", values=list(range(1, 11))) == pytest.approx(
        expected, rel=1e-12
    )


def test_count_if_avg_if_sum_if():
    values = [0, 15, 5, 40]
    assert run("countIf('value > 10')", values) == 2
    assert run("avgIf('value > 10')", values) == 27.5
    assert run("sumIf('value > 10')", values) == 55
    assert run("sumIf('value > 100')", values) == 0
    assert math.isnan(run("avgIf('value > 100')", values))
    assert run("countIf('value > 10', 2)", values) == 1


def test_count_if_condition_is_checked_at_compile_time():
    with pytest.raises(ExpressionError, match="in condition string"):
        compile_expression("countIf('value >')", "condition")


def test_counts_and_nan_samples():
    values = [1.0, math.nan, 3.0]
    assert run("count()", values) == 2
    assert run("countNaN()", values) == 1
    assert run("avg()", values) == 2.0
    assert run("first(1)", values) == 3.0


def test_empty_window():
    assert run("count()", []) == 0
    assert run("countNaN()", []) == 0
    for fn in ("avg()", "sum()", "min()", "max()", "first()", "last()", "wavg()", "wtavg()"):
        assert math.isnan(run(fn, [])), fn
    for fn in ("variance()", "median()", "ema()", "slope()", "intercept()", "median_abs_dev()"):
        assert math.isnan(run(fn, [])), fn
    assert run("sumIf('value > 0')", []) == 0


def test_single_value():
    assert run("variance()", [5.0]) == 0
    assert run("wtavg()", [5.0]) == 5.0
    assert math.isnan(run("rate_per_second()", [5.0]))
    assert run("new_maximum()", [5.0]) is False


def test_first_last_by_index():
    values = [1.0, 2.0, 3.0, 4.0]
    assert run("first(0)", values) == 1.0
    assert run("first(1)", values) == 2.0
    assert run("last(1)", values) == 3.0
    assert math.isnan(run("last(4)", values))
    assert run("diff(1)", values) == 1.0


def test_count_selector_takes_the_last_n_samples():
    values = [1.0, 2.0, 3.0, 10.0]
    assert run("avg(2)", values) == 6.5
    assert run("sum(3)", values) == 15.0
    assert run("max(2)", values) == 10.0
    assert run("min(2)", values) == 3.0
    assert run("count(10)", values) == 4
    assert run("median(3)", values) == 3.0


def test_interval_selector_takes_samples_newer_than_now_minus_interval():
    # Samples 1 minute apart; now = last sample time.
    values = [1.0, 2.0, 3.0, 10.0]
    assert run("avg('2 minute')", values, step_ms=60_000) == 6.5  # t > now - 2 min
    assert run("count('1 HOUR')", values, step_ms=60_000) == 4
    assert run("sum('30 seconds')", values, step_ms=60_000) == 10.0


def test_diff_with_interval():
    values = [1.0, 2.0, 3.0, 10.0]
    # newest value with time <= now - 2 min is 2.0
    assert run("diff('2 minute')", values, step_ms=60_000) == 8.0
    assert run("diff('1 hour')", values, step_ms=60_000) == 9.0


def test_bad_interval_is_an_evaluation_error():
    with pytest.raises(EvaluationError, match="invalid interval"):
        run("avg('soon')")


def test_min_max_with_two_numbers_are_math():
    assert run("min(3, 4)") == 3
    assert run("max(3, 4.5)") == 4.5
    assert compile_expression("max(3, 4)", "filter").evaluate(DictContext()) == 4


def test_ema_factor():
    assert run("ema(0.5)", [2.0, 4.0]) == 3.0
    with pytest.raises(EvaluationError):
        run("ema(2)")


def test_median_abs_dev():
    assert run("median_abs_dev()", [1.0, 1.0, 2.0, 2.0, 4.0, 6.0, 9.0]) == 1.0


def test_intercept_matches_slope():
    values = [1.0, 2.0, 3.0]
    s = run("slope()", values, step_ms=1000)
    b = run("intercept()", values, step_ms=1000)
    assert b + s * T0 == pytest.approx(1.0)


def test_new_maximum_and_minimum():
    assert run("new_maximum()", [1.0, 3.0, 5.0]) is True
    assert run("new_maximum()", [1.0, 5.0, 5.0]) is False
    assert run("new_minimum()", [3.0, 2.0, 1.0]) is True
    assert run("new_minimum()", [1.0, 2.0, 1.0]) is False


def test_threshold_time():
    # +1 per minute, last 3: reaching 10 takes 7 minutes.
    assert run("threshold_time(10)", [1.0, 2.0, 3.0], step_ms=60_000) == pytest.approx(7)
    assert run("threshold_linear_time(10)", [1.0, 2.0, 3.0], step_ms=60_000) == pytest.approx(7)
    assert math.isnan(run("threshold_time(10)", [1.0, 1.0]))


def test_filters_reject_statistical_functions_at_compile_time():
    with pytest.raises(ExpressionError, match="not allowed in a filter") as info:
        compile_expression("value > 1 && avg() > 5", "filter")
    assert info.value.position == 13


def test_statistical_functions_return_zero_without_a_window():
    assert compile_expression("avg() + 1", "condition").evaluate(DictContext()) == 1
