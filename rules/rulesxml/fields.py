"""Parsers of single rules.xml values (spec §2.2).

Each function takes the element text and returns the model value or raises
``ValueError`` whose message is the reason shown to the user (the caller adds
the rule name and element).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rules.models.rule import Severity

INTERVAL_UNITS = (
    "MILLISECOND",
    "SECOND",
    "MINUTE",
    "HOUR",
    "DAY",
    "WEEK",
    "MONTH",
    "QUARTER",
    "YEAR",
)
STRATEGY_TYPES = ("ALL", "COUNT", "INTERVAL", "NONE")

# Severity codes and aliases of the network protocol (spec §1.3 message row).
_SEVERITY_ALIASES = {
    "INFO": Severity.NORMAL,
    "WARN": Severity.WARNING,
    "ERROR": Severity.CRITICAL,
}
_SEVERITY_CODES = dict(enumerate(Severity.values))

_LENGTH_RE = re.compile(r"^(length|count)\s*\(\s*(\d+)\s*\)$", re.IGNORECASE)
_TIME_RE = re.compile(r"^time\s*\(\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*\)$", re.IGNORECASE)
_LAST_AS_RE = re.compile(r"\s+AS\s+", re.IGNORECASE)
_IDENTIFIER_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def normalize_newlines(text: str) -> str:
    """CRLF (and a lone CR, e.g. from ``&#13;``) → LF, as spec §2.1 asks on import."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value == "true":
        return True
    if value == "false":
        return False
    raise ValueError(f"{text.strip()!r} is not a boolean (true or false)")


def parse_int(text: str, *, minimum: int | None = None) -> int:
    value = text.strip()
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an integer") from None
    if minimum is not None and number < minimum:
        raise ValueError(f"{number} is less than {minimum}")
    return number


def parse_severity(text: str) -> str:
    """Canonical severity name; accepts any case, the aliases INFO/WARN/ERROR and codes 0-7."""
    value = text.strip().upper()
    if value in Severity.values:
        return value
    if value in _SEVERITY_ALIASES:
        return _SEVERITY_ALIASES[value].value
    if value.isdigit() and int(value) in _SEVERITY_CODES:
        return _SEVERITY_CODES[int(value)]
    raise ValueError(
        f"{text.strip()!r} is not a severity ({', '.join(Severity.values)}, INFO, WARN, ERROR)"
    )


def parse_unit(text: str) -> str:
    value = text.strip().upper()
    if value not in INTERVAL_UNITS:
        raise ValueError(f"{text.strip()!r} is not an interval unit ({', '.join(INTERVAL_UNITS)})")
    return value


def parse_strategy_type(text: str) -> str:
    value = text.strip().upper()
    if value not in STRATEGY_TYPES:
        raise ValueError(f"{text.strip()!r} is not a strategy type ({', '.join(STRATEGY_TYPES)})")
    return value


@dataclass(frozen=True)
class WindowSpec:
    """A parsed ``<window>``: ``kind`` "count" with ``size``, or "time" with ``amount`` ``unit``."""

    kind: str
    size: int = 0
    amount: float = 0.0
    unit: str = ""  # one of INTERVAL_UNITS for time windows


def parse_window(text: str) -> WindowSpec:
    """Parse ``length(N)``, ``count(N)`` or ``time(N unit)`` (unit any case, singular/plural)."""
    value = text.strip()
    match = _LENGTH_RE.match(value)
    if match:
        size = int(match.group(2))
        if size < 1:
            raise ValueError(f"{value!r}: a count window holds at least 1 sample")
        return WindowSpec(kind="count", size=size)
    match = _TIME_RE.match(value)
    if match:
        amount = float(match.group(1))
        word = match.group(2).upper()
        unit = word[:-1] if word.endswith("S") and word[:-1] in INTERVAL_UNITS else word
        if unit not in INTERVAL_UNITS:
            raise ValueError(f"{value!r} has an unknown unit")
        if amount <= 0:
            raise ValueError(f"{value!r}: a time window must be longer than 0")
        return WindowSpec(kind="time", amount=amount, unit=unit)
    raise ValueError(f"{value!r} is not a window (length(N), count(N) or time(N unit))")


def normalize_window(text: str) -> str:
    """The window text to store: validated, trimmed, ``count(N)`` written as ``length(N)``.

    ATSD's UI says count(N) but its XML stores length(N) (spec §2.2).
    """
    spec = parse_window(text)
    if spec.kind == "count":
        return f"length({spec.size})"
    return text.strip()


def parse_tags(text: str) -> list[str]:
    """Comma-separated grouping tag names, trimmed, empty entries dropped."""
    return [name.strip() for name in text.split(",") if name.strip()]


def split_user_expression(text: str) -> tuple[str, str]:
    """Split ``EXPR AS name`` on the last `` AS `` (any case) → (expression, name)."""
    matches = list(_LAST_AS_RE.finditer(text))
    if not matches:
        raise ValueError(f"{text.strip()!r} has no ' AS name' part")
    last = matches[-1]
    expression, name = text[: last.start()].strip(), text[last.end() :].strip()
    if not expression:
        raise ValueError(f"{text.strip()!r} has no expression before AS")
    if not _IDENTIFIER_RE.match(name):
        raise ValueError(f"variable name {name!r} is not a valid identifier")
    return expression, name
