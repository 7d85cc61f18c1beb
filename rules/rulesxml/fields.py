"""Parsers of single rules.xml values (spec §2.2).

Each function takes the element text and returns the model value or raises
``ValueError`` whose message is the reason shown to the user (the caller adds
the rule name and element).
"""

from __future__ import annotations

import re

from rules.contract.bindings import INTERVAL_UNITS, STRATEGY_TYPES
from rules.engine.windows import WindowSpecError, parse_window_spec
from rules.limits import window_limits
from rules.models.rule import Severity
from rules.wildcards import check_length

# Severity codes and aliases of the network protocol (spec §1.3 message row).
_SEVERITY_ALIASES = {
    "INFO": Severity.NORMAL,
    "WARN": Severity.WARNING,
    "ERROR": Severity.CRITICAL,
}
_SEVERITY_CODES = dict(enumerate(Severity.values))

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


def normalize_window(text: str) -> str:
    """The window text to store, checked by the engine's own parser under the configured
    limits (so a rule that saves is a rule the engine runs): trimmed, ``count(N)``
    written as ``length(N)``, as ATSD's XML stores it while its UI says count(N)
    (spec §2.2). ``ValueError`` says what is wrong."""
    try:
        spec = parse_window_spec(text, window_limits())
    except WindowSpecError as exc:
        # The caller names the element or field already: "<window>: 'length(0)': …".
        raise ValueError(str(exc).removeprefix("window ")) from None
    return spec.text if spec.kind == "count" else text.strip()


def normalize_entity_filter(text: str) -> str:
    """Entity names and patterns separated by white space, stored space-separated;
    ``ValueError`` for a pattern over the length limit (WILDCARD_PATTERN_MAX_LENGTH)."""
    return " ".join(check_length(pattern) for pattern in text.split())


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
