"""Statistical functions over the window (spec §4.5).

Samples are taken in time order with NaN values skipped (except ``countNaN``);
empty input gives NaN (counts 0, ``sumIf`` 0). The optional last *selection*
argument is an integer n (the last n samples) or an interval string such as
``'5 minute'`` (samples with time > now - interval). Without a selection the
window's incremental aggregates are used (O(1)/O(log n) per design), with one
the functions compute over ``times()``/``values()``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

from rules.expressions.datetime_value import _UNIT_MS, normalize_unit
from rules.expressions.errors import EvaluationError, ExpressionError
from rules.expressions.functions.registry import alias, compile_condition, register
from rules.expressions.semantics import is_number, require_bool, to_number

NAN = math.nan
_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*$")
_FIXED_MS = {**_UNIT_MS, "day": 86_400_000, "week": 604_800_000}


def parse_interval_ms(text: str) -> int:
    """``'5 minute'`` / ``'1 HOUR'`` → milliseconds; EvaluationError for anything else."""
    m = _INTERVAL.match(str(text))
    if not m:
        raise EvaluationError(f"invalid interval {text!r}, expected e.g. '5 minute'")
    unit = normalize_unit(m.group(2))
    if unit not in _FIXED_MS:
        raise EvaluationError(f"interval unit {m.group(2)!r} has no fixed length")
    return round(float(m.group(1)) * _FIXED_MS[unit])


def percentile_r6(sorted_values: Sequence[float], p: float) -> float:
    """NIST R6 percentile of ascending ``sorted_values``: r = p/100·(n+1)."""
    n = len(sorted_values)
    if n == 0:
        return NAN
    if not 0 <= p <= 100:
        raise EvaluationError(f"percentile must be within [0, 100], got {p}")
    r = p / 100.0 * (n + 1)
    if r <= 1:
        return sorted_values[0]
    if r >= n:
        return sorted_values[-1]
    k = math.floor(r)
    lo, hi = sorted_values[k - 1], sorted_values[k]
    return lo + (r - k) * (hi - lo)


# -- selection --------------------------------------------------------------------
def _pairs(ctx: Any, selector: Any = None) -> list[tuple[int, float]]:
    """(time, value) samples of the selection, NaN included, oldest first."""
    window = ctx.window
    pairs = list(zip(window.times(), window.values(), strict=True))
    if selector is None:
        return pairs
    if isinstance(selector, str) and not _looks_numeric(selector):
        cutoff = ctx.now_ms - parse_interval_ms(selector)
        return [(t, v) for t, v in pairs if t > cutoff]
    n = _count_arg(selector)
    return pairs[-n:] if n > 0 else []


def _looks_numeric(text: str) -> bool:
    digits = text.strip().lstrip("+-")
    return bool(digits) and all("0" <= c <= "9" for c in digits)


def _count_arg(selector: Any) -> int:
    n = to_number(selector, "sample count")
    if isinstance(n, float) and not n.is_integer():
        raise EvaluationError(f"sample count must be an integer, got {n}")
    return int(n)


def _finite(pairs: list[tuple[int, float]]) -> list[tuple[int, float]]:
    return [(t, v) for t, v in pairs if not math.isnan(v)]


def _vals(ctx: Any, selector: Any = None) -> list[float]:
    return [v for _, v in _finite(_pairs(ctx, selector))]


# -- basic aggregates -----------------------------------------------------------------
@register("avg", 0, 1, statistical=True)
def avg(ctx: Any, selector: Any = None) -> float:
    """Average of the non-NaN values."""
    if selector is None:
        return ctx.window.avg()
    vals = _vals(ctx, selector)
    return math.fsum(vals) / len(vals) if vals else NAN


alias("mean", "avg")


@register("sum", 0, 1, statistical=True)
def sum_(ctx: Any, selector: Any = None) -> float:
    """Sum of the non-NaN values; NaN when empty."""
    if selector is None:
        return ctx.window.sum()
    vals = _vals(ctx, selector)
    return math.fsum(vals) if vals else NAN


@register("min", 0, 2, statistical=True, math_arity=2)
def min_(ctx: Any, a: Any = None, b: Any = None) -> float:
    """min([sel]) over the window; min(x, y) of two numbers is the math function."""
    if b is not None:
        return _math_pick(min, a, b)
    if a is None:
        return ctx.window.min()
    vals = _vals(ctx, a)
    return min(vals) if vals else NAN


@register("max", 0, 2, statistical=True, math_arity=2)
def max_(ctx: Any, a: Any = None, b: Any = None) -> float:
    """max([sel]) over the window; max(x, y) of two numbers is the math function."""
    if b is not None:
        return _math_pick(max, a, b)
    if a is None:
        return ctx.window.max()
    vals = _vals(ctx, a)
    return max(vals) if vals else NAN


def _math_pick(pick: Any, a: Any, b: Any) -> float:
    x, y = to_number(a), to_number(b)
    if math.isnan(x) or math.isnan(y):
        return NAN
    return pick(x, y)


@register("count", 0, 1, statistical=True)
def count(ctx: Any, selector: Any = None) -> int:
    """Number of non-NaN samples."""
    if selector is None:
        return ctx.window.count()
    return len(_vals(ctx, selector))


@register("countNaN", 0, 1, statistical=True)
def count_nan(ctx: Any, selector: Any = None) -> int:
    """Number of NaN samples."""
    if selector is None:
        return ctx.window.count_nan()
    return sum(1 for _, v in _pairs(ctx, selector) if math.isnan(v))


def _nth(ctx: Any, arg: Any, from_newest: bool) -> float:
    if arg is None:
        return ctx.window.last() if from_newest else ctx.window.first()
    if isinstance(arg, str) and not _looks_numeric(arg):
        vals = _vals(ctx, arg)
        if not vals:
            return NAN
        return vals[-1] if from_newest else vals[0]
    i = _count_arg(arg)
    vals = _vals(ctx)
    if not 0 <= i < len(vals):
        return NAN
    return vals[-1 - i] if from_newest else vals[i]


@register("first", 0, 1, statistical=True)
def first(ctx: Any, index: Any = None) -> float:
    """first() oldest value; first(i) the i-th from the oldest (0-based); NaN out of range."""
    return _nth(ctx, index, from_newest=False)


@register("last", 0, 1, statistical=True)
def last(ctx: Any, index: Any = None) -> float:
    """last() newest value; last(i) the i-th from the newest (0-based); NaN out of range."""
    return _nth(ctx, index, from_newest=True)


@register("diff", 0, 1, statistical=True)
def diff(ctx: Any, arg: Any = None) -> float:
    """last - first; diff(i) = last(i) - first(i); diff('5 minute') = last - value at now-5m."""
    if arg is None or is_number(arg) or (isinstance(arg, str) and _looks_numeric(arg)):
        return _nth(ctx, arg, True) - _nth(ctx, arg, False)
    cutoff = ctx.now_ms - parse_interval_ms(arg)
    pairs = _finite(_pairs(ctx))
    if not pairs:
        return NAN
    before = [v for t, v in pairs if t <= cutoff]
    base = before[-1] if before else pairs[0][1]
    return pairs[-1][1] - base


alias("delta", "diff")


# -- weighted and smoothed -------------------------------------------------------------
@register("wavg", 0, 1, statistical=True)
def wavg(ctx: Any, selector: Any = None) -> float:
    """Weighted average, weights 1…n with the oldest value weighted 1."""
    vals = _vals(ctx, selector)
    if not vals:
        return NAN
    weights = range(1, len(vals) + 1)
    return math.fsum(w * v for w, v in zip(weights, vals, strict=True)) / math.fsum(weights)


@register("wtavg", 0, 1, statistical=True)
def wtavg(ctx: Any, selector: Any = None) -> float:
    """Time-weighted average: wᵢ = (tᵢ - t₁ + 1)/(tₙ - t₁ + 1), t in whole seconds."""
    pairs = _finite(_pairs(ctx, selector))
    if not pairs:
        return NAN
    if len(pairs) == 1:
        return pairs[0][1]
    secs = [t // 1000 for t, _ in pairs]
    span = secs[-1] - secs[0] + 1
    weights = [(s - secs[0] + 1) / span for s in secs]
    total = math.fsum(weights)
    return math.fsum(w * v for w, (_, v) in zip(weights, pairs, strict=True)) / total


@register("ema", 0, 1, statistical=True)
def ema(ctx: Any, factor: Any = None) -> float:
    """Exponential moving average with factor f ∈ (0, 1), default 0.25: Eᵢ = f·vᵢ + (1-f)Eᵢ₋₁."""
    f = 0.25 if factor is None else float(to_number(factor, "ema factor"))
    if not 0 < f < 1:
        raise EvaluationError(f"ema factor must be within (0, 1), got {f}")
    vals = _vals(ctx)
    if not vals:
        return NAN
    e = vals[0]
    for v in vals[1:]:
        e = f * v + (1 - f) * e
    return e


# -- order statistics --------------------------------------------------------------------
@register("percentile", 1, 2, statistical=True)
def percentile(ctx: Any, p: Any, selector: Any = None) -> float:
    """NIST R6 percentile of the non-NaN values."""
    pv = float(to_number(p, "percentile"))
    if selector is None:
        if not 0 <= pv <= 100:
            raise EvaluationError(f"percentile must be within [0, 100], got {pv}")
        return ctx.window.percentile(pv)
    return percentile_r6(sorted(_vals(ctx, selector)), pv)


@register("median", 0, 1, statistical=True)
def median(ctx: Any, selector: Any = None) -> float:
    """percentile(50)."""
    return percentile(ctx, 50, selector)


@register("median_abs_dev", 0, 1, statistical=True)
def median_abs_dev(ctx: Any, selector: Any = None) -> float:
    """median(abs(v - median(v)))."""
    vals = sorted(_vals(ctx, selector))
    if not vals:
        return NAN
    m = percentile_r6(vals, 50)
    return percentile_r6(sorted(abs(v - m) for v in vals), 50)


@register("variance", 0, 1, statistical=True)
def variance(ctx: Any, selector: Any = None) -> float:
    """Sample variance (divisor n - 1; 0 for one value)."""
    vals = _vals(ctx, selector)
    n = len(vals)
    if n == 0:
        return NAN
    if n == 1:
        return 0.0
    mean = math.fsum(vals) / n
    return math.fsum((v - mean) ** 2 for v in vals) / (n - 1)


@register("stdev", 0, 1, statistical=True)
def stdev(ctx: Any, selector: Any = None) -> float:
    """Square root of variance()."""
    return math.sqrt(variance(ctx, selector))


alias("std_dev", "stdev")


# -- trends --------------------------------------------------------------------------------
def _regression(ctx: Any, selector: Any) -> tuple[float, float]:
    """(slope per ms, intercept at t = 0 ms) by least squares; NaN when undefined."""
    pairs = _finite(_pairs(ctx, selector))
    n = len(pairs)
    if n < 2:
        return NAN, NAN
    # Centre the times: epoch ms squared would lose precision.
    t0 = pairs[0][0]
    ts = [t - t0 for t, _ in pairs]
    vs = [v for _, v in pairs]
    mt = math.fsum(ts) / n
    mv = math.fsum(vs) / n
    sxx = math.fsum((t - mt) ** 2 for t in ts)
    if sxx == 0:
        return NAN, NAN
    sxy = math.fsum((t - mt) * (v - mv) for t, v in zip(ts, vs, strict=True))
    slope = sxy / sxx
    return slope, mv - slope * (mt + t0)


@register("slope", 0, 1, statistical=True)
def slope(ctx: Any, selector: Any = None) -> float:
    """Least-squares slope of value on time in Unix milliseconds."""
    return _regression(ctx, selector)[0]


@register("intercept", 0, 1, statistical=True)
def intercept(ctx: Any, selector: Any = None) -> float:
    """Least-squares intercept (value at time 0 ms)."""
    return _regression(ctx, selector)[1]


@register("slope_per_second", 0, 1, statistical=True)
def slope_per_second(ctx: Any, selector: Any = None) -> float:
    """slope() x 1000."""
    return slope(ctx, selector) * 1000


@register("slope_per_minute", 0, 1, statistical=True)
def slope_per_minute(ctx: Any, selector: Any = None) -> float:
    """slope() x 60000."""
    return slope(ctx, selector) * 60_000


@register("slope_per_hour", 0, 1, statistical=True)
def slope_per_hour(ctx: Any, selector: Any = None) -> float:
    """slope() x 3600000."""
    return slope(ctx, selector) * 3_600_000


def _rate_per_second(ctx: Any, selector: Any) -> float:
    pairs = _finite(_pairs(ctx, selector))
    if len(pairs) < 2:
        return NAN
    span = (pairs[-1][0] - pairs[0][0]) / 1000.0
    if span == 0:
        return NAN
    return (pairs[-1][1] - pairs[0][1]) / span


@register("rate_per_second", 0, 1, statistical=True)
def rate_per_second(ctx: Any, selector: Any = None) -> float:
    """(last - first) / (t_last - t_first) in seconds; NaN for a zero span."""
    return _rate_per_second(ctx, selector)


@register("rate_per_minute", 0, 1, statistical=True)
def rate_per_minute(ctx: Any, selector: Any = None) -> float:
    """rate_per_second() x 60."""
    return _rate_per_second(ctx, selector) * 60


@register("rate_per_hour", 0, 1, statistical=True)
def rate_per_hour(ctx: Any, selector: Any = None) -> float:
    """rate_per_second() x 3600."""
    return _rate_per_second(ctx, selector) * 3600


@register("new_maximum", 0, 0, statistical=True)
def new_maximum(ctx: Any) -> bool:
    """Newest value strictly above all earlier ones; false with fewer than 2 values."""
    vals = _vals(ctx)
    return len(vals) >= 2 and vals[-1] > max(vals[:-1])


@register("new_minimum", 0, 0, statistical=True)
def new_minimum(ctx: Any) -> bool:
    """Newest value strictly below all earlier ones; false with fewer than 2 values."""
    vals = _vals(ctx)
    return len(vals) >= 2 and vals[-1] < min(vals[:-1])


@register("threshold_time", 1, 1, statistical=True)
def threshold_time(ctx: Any, threshold: Any) -> float:
    """Minutes until ``threshold`` at the current rate: (t - last)/rate_per_minute; NaN at 0."""
    rate = _rate_per_second(ctx, None) * 60
    if rate == 0 or math.isnan(rate):
        return NAN
    return (float(to_number(threshold)) - ctx.window.last()) / rate


@register("threshold_linear_time", 1, 1, statistical=True)
def threshold_linear_time(ctx: Any, threshold: Any) -> float:
    """Minutes until the regression line reaches ``threshold`` from the newest sample time."""
    s, b = _regression(ctx, None)
    pairs = _finite(_pairs(ctx))
    if math.isnan(s) or s == 0 or not pairs:
        return NAN
    t_last = pairs[-1][0]
    return (float(to_number(threshold)) - (b + s * t_last)) / (s * 60_000)


# -- conditional aggregates --------------------------------------------------------------------
class _SampleContext:
    """The caller's context with ``value`` bound to one sample value."""

    __slots__ = ("_base", "_value", "now_ms", "window", "zone")

    def __init__(self, base: Any, value: float) -> None:
        self._base = base
        self._value = value
        self.now_ms = base.now_ms
        self.zone = base.zone
        self.window = base.window

    def lookup(self, name: str) -> Any:
        return self._value if name == "value" else self._base.lookup(name)

    def line_value(self, metric: str) -> float | None:
        return self._base.line_value(metric)

    def rule_open(self, rule: str, entity: str | None, expression: str | None) -> bool:
        return self._base.rule_open(rule, entity, expression)


def _matching(ctx: Any, condition: Any, selector: Any) -> list[float]:
    if not isinstance(condition, str):
        raise EvaluationError("the condition of countIf/avgIf/sumIf must be a string")
    try:
        compiled = compile_condition(condition)
    except ExpressionError as exc:
        raise EvaluationError(f"bad condition {condition!r}: {exc}") from exc
    return [
        v
        for v in _vals(ctx, selector)
        if require_bool(compiled.evaluate(_SampleContext(ctx, v)), "countIf condition")
    ]


@register("countIf", 1, 2, statistical=True)
def count_if(ctx: Any, condition: Any, selector: Any = None) -> int:
    """Number of samples for which ``condition`` (with ``value`` = sample value) is true."""
    return len(_matching(ctx, condition, selector))


@register("avgIf", 1, 2, statistical=True)
def avg_if(ctx: Any, condition: Any, selector: Any = None) -> float:
    """Average of the samples matching ``condition``; NaN when none."""
    vals = _matching(ctx, condition, selector)
    return math.fsum(vals) / len(vals) if vals else NAN


@register("sumIf", 1, 2, statistical=True)
def sum_if(ctx: Any, condition: Any, selector: Any = None) -> float:
    """Sum of the samples matching ``condition``; 0 when none."""
    return math.fsum(_matching(ctx, condition, selector))
