"""Conversion functions (spec §4.6): toNumber toBoolean toLong trim_zero format* convert."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from rules.expressions.errors import EvaluationError
from rules.expressions.formatting import format_number
from rules.expressions.functions.registry import register
from rules.expressions.semantics import is_number, numeric_string, text_of, to_number


@register("toNumber", 1)
def to_number_(ctx: Any, x: Any) -> float:
    """A number from a number or numeric text; NaN for anything else (null, 'abc')."""
    if isinstance(x, bool):
        return 1.0 if x else 0.0
    if is_number(x):
        return float(x)
    n = numeric_string(x)
    if n is not None:
        return n
    if isinstance(x, str) and x.strip().lower() == "nan":
        return math.nan
    return math.nan


@register("toBoolean", 1)
def to_boolean(ctx: Any, x: Any) -> bool:
    """true for true, 'true'/'yes'/'on'/'1' (any case) and non-zero numbers."""
    if isinstance(x, bool):
        return x
    if is_number(x):
        return x != 0 and not (isinstance(x, float) and math.isnan(x))
    return text_of(x).strip().lower() in ("true", "yes", "on", "1", "y")


@register("toLong", 1)
def to_long(ctx: Any, x: Any) -> int:
    """Integer part of a number or numeric text (Java long cast: NaN → 0)."""
    v = float(to_number(x, "argument of toLong"))
    if math.isnan(v):
        return 0
    if math.isinf(v):
        return 9223372036854775807 if v > 0 else -9223372036854775808
    return int(v)


@register("trim_zero", 1)
def trim_zero(ctx: Any, x: Any) -> str:
    """Numeric text without trailing fractional zeros: '5.500' → '5.5', 3.0 → '3'."""
    if is_number(x):
        return format_number(x)
    text = text_of(x)
    if numeric_string(text) is not None and "." in text and "e" not in text.lower():
        text = text.rstrip("0").rstrip(".")
    return text


def _java_decimal_format(value: float, pattern: str) -> str:
    """The common subset of java.text.DecimalFormat: grouping ',', '0' and '#' digits, HALF_EVEN."""
    positive = pattern.split(";")[0]
    prefix_end = next((i for i, c in enumerate(positive) if c in "#0,."), len(positive))
    suffix_start = len(positive)
    while suffix_start > prefix_end and positive[suffix_start - 1] not in "#0,.":
        suffix_start -= 1
    prefix, core, suffix = (
        positive[:prefix_end],
        positive[prefix_end:suffix_start],
        positive[suffix_start:],
    )
    percent = "%" in suffix or "%" in prefix
    int_part, _, frac_part = core.partition(".")
    grouping = 0
    if "," in int_part:
        grouping = len(int_part) - int_part.rfind(",") - 1
    min_int = int_part.replace(",", "").count("0")
    min_frac = frac_part.count("0")
    max_frac = len(frac_part)
    if percent:
        value *= 100
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return ("-" if value < 0 else "") + "∞"
    q = Decimal(repr(abs(value))).quantize(Decimal(1).scaleb(-max_frac), ROUND_HALF_EVEN)
    whole, _, frac = f"{q:f}".partition(".")
    frac = frac.rstrip("0")
    if len(frac) < min_frac:
        frac = frac.ljust(min_frac, "0")
    whole = whole.lstrip("0")
    if len(whole) < min_int:
        whole = whole.rjust(min_int, "0")
    if grouping > 0 and whole:
        groups: list[str] = []
        while len(whole) > grouping:
            groups.insert(0, whole[-grouping:])
            whole = whole[:-grouping]
        groups.insert(0, whole)
        whole = ",".join(groups)
    text = whole + ("." + frac if frac else "")
    if not text:
        text = "0"
    negative = value < 0 and any(c not in "0.," for c in text)
    return ("-" if negative else "") + prefix + text + suffix


@register("formatNumber", 2)
def format_number_(ctx: Any, x: Any, pattern: Any) -> str:
    """Format with a Java DecimalFormat pattern: formatNumber(1234.56, '#,##0.0') → '1,234.6'."""
    return _java_decimal_format(float(to_number(x, "number")), text_of(pattern))


@register("formatBytes", 1, 2)
def format_bytes(ctx: Any, x: Any, si: Any = False) -> str:
    """Bytes as text: si=true 1000-based 'kB MB…', else 1024-based 'KiB MiB…'; one decimal."""
    n = float(to_number(x, "byte count"))
    use_si = bool(si) if isinstance(si, bool) else text_of(si).lower() == "true"
    unit = 1000 if use_si else 1024
    if math.isnan(n):
        return "NaN"
    if abs(n) < unit:
        return f"{int(n)} B" if n.is_integer() else f"{format_number(n)} B"
    exp = min(int(math.log(abs(n)) / math.log(unit)), 6)
    prefix = ("kMGTPE" if use_si else "KMGTPE")[exp - 1] + ("" if use_si else "i")
    return f"{n / unit**exp:.1f} {prefix}B"


_UNITS = {
    "k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12, "p": 1e15, "e": 1e18,
    "ki": 2.0**10, "mi": 2.0**20, "gi": 2.0**30, "ti": 2.0**40, "pi": 2.0**50, "ei": 2.0**60,
}  # fmt: skip


@register("convert", 2)
def convert(ctx: Any, x: Any, unit: Any) -> float:
    """Divide by a unit: convert(20480, 'Ki') → 20; 'k' 'M' 'G' 'T' 'P' 'E' are 1000-based."""
    key = text_of(unit).strip().lower().removesuffix("b")
    if key not in _UNITS:
        raise EvaluationError(f"convert(): unknown unit {text_of(unit)!r}")
    return float(to_number(x, "number")) / _UNITS[key]
