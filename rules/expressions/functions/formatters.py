"""Formatter objects and small utilities of the SHOULD list (spec §4.6):
``DateFormatter``, ``NumberFormatter``, ``IntervalFormatter``, ``formatPrecision``,
``check_range``, ``printObject``.

The formatters are objects built once and applied with ``.format(x)``, so a pattern
is written once in a variable and used in several places [decision: ATSD's names,
with the argument forms of ``date_format``, ``formatNumber`` and ``formatInterval``]::

    DateFormatter('yyyy-MM-dd HH:mm', 'Europe/Berlin').format(now)
    NumberFormatter('#,##0.0').format(value)
    IntervalFormatter().format(elapsedTime(open_time))
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from rules.expressions.errors import EvaluationError
from rules.expressions.formatting import format_value, round_significant
from rules.expressions.functions.content import TABLE_FORMATS, render_table
from rules.expressions.functions.conversion import format_number_, to_boolean
from rules.expressions.functions.dates import date_format, format_interval, format_interval_short
from rules.expressions.functions.registry import register
from rules.expressions.semantics import is_number, to_number


class Formatter:
    """A value object whose ``format(x)`` method applies one formatting function."""

    __slots__ = ("_apply", "description")

    def __init__(self, description: str, apply: Callable[[Any], str]) -> None:
        self.description = description
        self._apply = apply

    def expression_method(self, name: str, args: list[Any]) -> Any:
        if name == "format" and len(args) == 1:
            return self._apply(args[0])
        raise EvaluationError(f"{self.description} has no method {name}() with {len(args)} args")

    def expression_member(self, name: str) -> Any:
        return None

    def __str__(self) -> str:
        return self.description


@register("DateFormatter", 0, 2)
def date_formatter(ctx: Any, pattern: Any = None, zone: Any = None) -> Formatter:
    """``.format(time)``: ``date_format(time, pattern, zone)`` (ms or DateTime); without a
    pattern ISO UTC, without a zone the server zone."""
    return Formatter(
        f"DateFormatter({format_value(pattern)})", lambda t: date_format(ctx, t, pattern, zone)
    )


@register("NumberFormatter", 1, 1)
def number_formatter(ctx: Any, pattern: Any) -> Formatter:
    """``.format(x)``: ``formatNumber(x, pattern)``, a Java DecimalFormat pattern."""
    return Formatter(
        f"NumberFormatter({format_value(pattern)})", lambda x: format_number_(ctx, x, pattern)
    )


@register("IntervalFormatter", 0, 1)
def interval_formatter(ctx: Any, short: Any = False) -> Formatter:
    """``.format(ms)``: ``formatInterval(ms)`` (``2y 139d 16h 47m 15s``), or with
    ``short`` = true ``formatIntervalShort(ms)`` (``2y 139d``)."""
    if short is not None and to_boolean(ctx, short):
        return Formatter("IntervalFormatter(true)", lambda ms: format_interval_short(ctx, ms))
    return Formatter("IntervalFormatter(false)", lambda ms: format_interval(ctx, ms))


@register("formatPrecision", 1, 2)
def format_precision(ctx: Any, x: Any, digits: Any = 5) -> str:
    """``x`` rounded to ``digits`` significant digits (default 5) as the details table
    prints numbers (spec §6): ``formatPrecision(22.72808635185156)`` → ``22.728``,
    ``formatPrecision(0.00012502192)`` → ``1.2502e-4``,
    ``formatPrecision(3.14159, 3)`` → ``3.14``."""
    n = int(to_number(digits, "digits"))
    if not 1 <= n <= 17:
        raise EvaluationError(f"formatPrecision(): digits must be within 1..17, got {n}")
    return round_significant(float(to_number(x, "number")), n)


@register("check_range", 3, 3)
def check_range(ctx: Any, x: Any, low: Any, high: Any) -> bool:
    """Whether ``low <= x <= high`` (bounds included); false for null or NaN ``x``
    [decision]; a bound that is null or NaN leaves that side open."""
    if x is None or not is_number(x) or math.isnan(float(x)):
        return False
    v = float(x)
    lo = None if low is None else float(to_number(low, "low"))
    hi = None if high is None else float(to_number(high, "high"))
    if lo is not None and not math.isnan(lo) and v < lo:
        return False
    return not (hi is not None and not math.isnan(hi) and v > hi)


def object_fields(value: Any) -> dict[str, Any]:
    """The fields of a value as name → value: a map's entries, a record's or a named
    object's (entity, metric) members."""
    if isinstance(value, Mapping):
        return {format_value(k): v for k, v in value.items()}
    as_dict = getattr(value, "as_dict", None)
    if as_dict is not None:
        return dict(as_dict())
    member = getattr(value, "expression_member", None)
    if member is not None:
        names = ["name", "label", "displayName", "tags", *sorted(getattr(value, "fields", {}))]
        return {n: member(n) for n in names if member(n) not in (None, "", {})}
    raise EvaluationError(f"printObject(): cannot print a {type(value).__name__} as a table")


@register("printObject", 1, 2)
def print_object(ctx: Any, value: Any, fmt: Any = "ascii") -> str:
    """The fields of an object (a map, ``rule_window(...)``, ``getEntity(...)``,
    ``db_statistics(...)``, ``last_open()``) as a Name/Value table in one of the §6
    layouts (``ascii``, ``markdown``, ``csv``, ``property``, ``html``); null → ``''``."""
    if value is None:
        return ""
    layout = format_value(fmt).lower() or "ascii"
    if layout not in TABLE_FORMATS:
        raise EvaluationError(f"unknown table format {layout!r}; one of {', '.join(TABLE_FORMATS)}")
    rows = [[name, format_value(v)] for name, v in object_fields(value).items()]
    header = None if layout in ("property", "html") else ["Name", "Value"]
    return render_table(rows, layout, header)
