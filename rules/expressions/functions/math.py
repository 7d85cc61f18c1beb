"""Math functions (spec §4.6): abs ceil floor round pow sqrt exp log log10 mod signum.

Arguments are numbers or numeric strings; results follow Java double rules
(NaN instead of exceptions for undefined results).
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from rules.expressions.functions.registry import register
from rules.expressions.semantics import arithmetic, to_number


def _num(x: Any) -> float:
    return float(to_number(x, "argument"))


@register("abs", 1)
def abs_(ctx: Any, x: Any) -> Any:
    """Absolute value."""
    return abs(to_number(x, "argument"))


@register("ceil", 1)
def ceil(ctx: Any, x: Any) -> float:
    """Smallest integer ≥ x (as a number; NaN stays NaN)."""
    v = _num(x)
    return v if math.isnan(v) or math.isinf(v) else float(math.ceil(v))


@register("floor", 1)
def floor(ctx: Any, x: Any) -> float:
    """Largest integer ≤ x (NaN stays NaN)."""
    v = _num(x)
    return v if math.isnan(v) or math.isinf(v) else float(math.floor(v))


@register("round", 1, 2)
def round_(ctx: Any, x: Any, digits: Any = None) -> float:
    """round(x) to an integer, round(x, d) to d decimals; halves round up (away from zero)."""
    v = _num(x)
    if math.isnan(v) or math.isinf(v):
        return v
    d = 0 if digits is None else int(to_number(digits, "digits"))
    # Decimal of repr avoids binary artefacts: round(2.675, 2) is 2.68 as users expect.
    q = Decimal(1).scaleb(-d)
    return float(Decimal(repr(v)).quantize(q, rounding=ROUND_HALF_UP))


@register("pow", 2)
def pow_(ctx: Any, base: Any, exponent: Any) -> float:
    """base raised to exponent; NaN when undefined."""
    try:
        return math.pow(_num(base), _num(exponent))
    except (ValueError, OverflowError):
        return math.nan if _num(base) < 0 else math.inf


@register("sqrt", 1)
def sqrt(ctx: Any, x: Any) -> float:
    """Square root; NaN for negative x."""
    v = _num(x)
    return math.sqrt(v) if v >= 0 else math.nan


@register("exp", 1)
def exp(ctx: Any, x: Any) -> float:
    """e to the power x."""
    try:
        return math.exp(_num(x))
    except OverflowError:
        return math.inf


def _log(v: float, fn: Any) -> float:
    if math.isnan(v) or v < 0:
        return math.nan
    if v == 0:
        return -math.inf
    return fn(v)


@register("log", 1)
def log(ctx: Any, x: Any) -> float:
    """Natural logarithm; -Infinity at 0, NaN below."""
    return _log(_num(x), math.log)


@register("log10", 1)
def log10(ctx: Any, x: Any) -> float:
    """Base-10 logarithm; -Infinity at 0, NaN below."""
    return _log(_num(x), math.log10)


@register("mod", 2)
def mod(ctx: Any, a: Any, b: Any) -> Any:
    """Remainder with the sign of the dividend (Java ``%``)."""
    return arithmetic("%", a, b)


@register("signum", 1)
def signum(ctx: Any, x: Any) -> float:
    """-1, 0 or 1 by the sign of x (NaN stays NaN)."""
    v = _num(x)
    if math.isnan(v):
        return v
    return float((v > 0) - (v < 0))
