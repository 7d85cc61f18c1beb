"""Operator semantics of spec §4.3, shared by the compiler and the function library.

* ``=``/``!=`` on strings are case-insensitive; numbers compare numerically (NaN
  equals nothing); a number against a numeric-looking string compares
  numerically, otherwise as text.
* ``null`` against a string in ``=``/``!=``/``LIKE`` acts as ``''``; ordering
  with null or NaN is false.
* ``LIKE`` is whole-string, ``*``/``?`` wildcards, case-sensitive, list right
  side = any, matched in linear time by ``rules.wildcards``; ``IN`` is exact for
  strings, numeric for numbers; ``BETWEEN`` is inclusive, strings lexicographic and
  case-sensitive.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from rules.expressions.datetime_value import DateTime, parse_iso
from rules.expressions.errors import EvaluationError
from rules.expressions.formatting import format_value
from rules.wildcards import Matcher, PatternTooLong, matcher

_NUMERIC = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$", re.ASCII)


def is_number(v: Any) -> bool:
    """int or float, never bool (bool is an int subclass in Python)."""
    return isinstance(v, int | float) and not isinstance(v, bool)


def numeric_string(v: Any) -> float | None:
    """The number a numeric-looking string spells, else None ('NaN' is not numeric text)."""
    if isinstance(v, str) and _NUMERIC.match(v):
        return float(v)
    return None


def type_name(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if is_number(v):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, DateTime):
        return "date"
    if isinstance(v, Mapping):
        return "map"
    if isinstance(v, list | tuple | set | frozenset):
        return "list"
    return type(v).__name__


def to_number(v: Any, what: str = "operand") -> int | float:
    """A number for arithmetic: numbers as is, numeric strings parsed, else EvaluationError."""
    if is_number(v):
        return v
    n = numeric_string(v)
    if n is not None:
        return n
    if isinstance(v, DateTime):
        return v.millis
    raise EvaluationError(f"{what} must be a number, got {type_name(v)} {format_value(v)!r}")


def require_bool(v: Any, what: str) -> bool:
    """Operands of ! && || ?: must be boolean (spec §4.3)."""
    if isinstance(v, bool):
        return v
    raise EvaluationError(f"{what} must be boolean, got {type_name(v)} {format_value(v)!r}")


def text_of(v: Any) -> str:
    """String side of a comparison or a join: null → '' and numbers per §5.3."""
    return format_value(v)


# -- equality and ordering ---------------------------------------------------------
def values_equal(a: Any, b: Any) -> bool:
    """``a == b`` per spec §4.3."""
    if a is None and b is None:
        return True
    if isinstance(a, DateTime) or isinstance(b, DateTime):
        return _date_equal(a, b)
    if a is None or b is None:
        other = b if a is None else a
        return isinstance(other, str) and other == ""
    if isinstance(a, bool) or isinstance(b, bool):
        if isinstance(a, bool) and isinstance(b, bool):
            return a == b
        if isinstance(a, str) or isinstance(b, str):
            return text_of(a).lower() == text_of(b).lower()
        return False
    if is_number(a) and is_number(b):
        return a == b
    if is_number(a) and isinstance(b, str):
        n = numeric_string(b)
        return a == n if n is not None else text_of(a).lower() == b.lower()
    if isinstance(a, str) and is_number(b):
        n = numeric_string(a)
        return b == n if n is not None else a.lower() == text_of(b).lower()
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(values_equal(x, y) for x, y in zip(a, b, strict=True))
    try:
        return bool(a == b)
    except Exception:  # a foreign value with a failing __eq__ is simply not equal
        return False


def _date_equal(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return False
    try:
        return _millis(a) == _millis(b)
    except EvaluationError:
        return False


def _millis(v: Any, zone: str = "UTC") -> int | float:
    if isinstance(v, DateTime):
        return v.millis
    if is_number(v):
        return v
    if isinstance(v, str):
        return parse_iso(v, zone)
    raise EvaluationError(f"cannot compare a date with {type_name(v)}")


def compare(a: Any, b: Any) -> int | None:
    """-1/0/1 for ordering, None when null or NaN is involved (ordering is then false)."""
    if a is None or b is None:
        return None
    if isinstance(a, DateTime) or isinstance(b, DateTime):
        zone = a.zone if isinstance(a, DateTime) else b.zone
        x, y = _millis(a, zone), _millis(b, zone)
    elif isinstance(a, bool) or isinstance(b, bool):
        raise EvaluationError("booleans cannot be ordered")
    elif is_number(a) and is_number(b):
        x, y = a, b
    elif isinstance(a, str) and isinstance(b, str):
        return (a > b) - (a < b)
    elif is_number(a) or is_number(b):
        x, y = to_number(a, "comparison operand"), to_number(b, "comparison operand")
    else:
        raise EvaluationError(f"cannot order {type_name(a)} and {type_name(b)}")
    if (isinstance(x, float) and math.isnan(x)) or (isinstance(y, float) and math.isnan(y)):
        return None
    return (x > y) - (x < y)


def ordering(op: str, a: Any, b: Any) -> bool:
    c = compare(a, b)
    if c is None:
        return False
    if op == "<":
        return c < 0
    if op == "<=":
        return c <= 0
    if op == ">":
        return c > 0
    return c >= 0


# -- LIKE / IN / BETWEEN ---------------------------------------------------------
def like_matcher(pattern: str) -> Matcher:
    """The case-sensitive ``LIKE`` matcher of ``pattern``; ``EvaluationError`` when the
    pattern is over the length limit."""
    try:
        return matcher(pattern)
    except PatternTooLong as exc:
        raise EvaluationError(f"LIKE {exc}") from None


def like(value: Any, pattern: Any) -> bool:
    """``value LIKE pattern``; a list/tuple pattern matches when any element does."""
    text = text_of(value)
    if isinstance(pattern, list | tuple | set | frozenset):
        return any(like(text, p) for p in pattern)
    try:
        return matcher(text_of(pattern))(text)
    except PatternTooLong as exc:
        raise EvaluationError(f"LIKE {exc}") from None


def _in_equal(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if is_number(a) or is_number(b):
        if isinstance(a, bool) or isinstance(b, bool):
            return a is b
        x = a if is_number(a) else numeric_string(a)
        y = b if is_number(b) else numeric_string(b)
        return x is not None and y is not None and x == y
    if isinstance(a, str) and isinstance(b, str):
        return str.__eq__(a, b)
    return values_equal(a, b)


def contained_in(value: Any, collection: Any) -> bool:
    """``value IN collection``: exact for strings, numeric for numbers; maps test keys."""
    if collection is None:
        return False
    if isinstance(collection, Mapping):
        collection = list(collection.keys())
    if not isinstance(collection, list | tuple | set | frozenset):
        raise EvaluationError(f"IN needs a list on its right side, got {type_name(collection)}")
    return any(_in_equal(value, item) for item in collection)


def between(value: Any, low: Any, high: Any) -> bool:
    """Inclusive range test; false when any side is null or NaN."""
    lo = compare(value, low)
    hi = compare(value, high)
    return lo is not None and hi is not None and lo >= 0 and hi <= 0


# -- arithmetic ---------------------------------------------------------------------
def add(a: Any, b: Any) -> Any:
    """``+``: joins as text when either side is a string, else adds numbers."""
    if isinstance(a, str) or isinstance(b, str):
        return text_of(a) + text_of(b)
    if isinstance(a, DateTime) and is_number(b):
        return DateTime(a.millis + int(b), a.zone)
    if isinstance(a, list) and isinstance(b, list):
        return a + b
    if a is None or b is None:
        raise EvaluationError("null operand of '+'")
    x, y = to_number(a, "operand of '+'"), to_number(b, "operand of '+'")
    return x + y


def arithmetic(op: str, a: Any, b: Any) -> Any:
    """``- * / %`` with Java double semantics (x/0 → ±Infinity or NaN, never an exception)."""
    if a is None or b is None:
        raise EvaluationError(f"null operand of '{op}'")
    x = to_number(a, f"operand of '{op}'")
    y = to_number(b, f"operand of '{op}'")
    if op == "-":
        return x - y
    if op == "*":
        return x * y
    if op == "/":
        if y == 0:
            if x == 0 or (isinstance(x, float) and math.isnan(x)):
                return math.nan
            return math.copysign(math.inf, x) * math.copysign(1.0, float(y))
        return x / y
    # '%': Java remainder takes the sign of the dividend.
    if y == 0:
        return math.nan
    if isinstance(x, int) and isinstance(y, int):
        r = abs(x) % abs(y)
        return r if x >= 0 else -r
    return math.fmod(x, y)


def negate(a: Any) -> Any:
    if a is None:
        raise EvaluationError("null operand of unary '-'")
    return -to_number(a, "operand of unary '-'")
