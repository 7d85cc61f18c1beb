"""The limits of a command line and the values its fields hold: numbers, booleans,
times and severities (spec §1.2-1.3), shared by both paths of ``rules.ingest.commands``."""

from __future__ import annotations

import datetime as dt
import math
import re
from functools import lru_cache

from rules.events import SEVERITY_ALIASES, SEVERITY_NAMES

MAX_LINE_BYTES = 128 * 1024
MAX_TAGS = 1024
MAX_TIME_MS = 4_294_969_199_999  # 2106-02-07T06:59:59.999Z
_MAX_TIME_TEXT = "2106-02-07T06:59:59.999Z"

NAN = math.nan


class CommandError(ValueError):
    """A command line was rejected; ``reason`` says why, naming the field at fault."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --------------------------------------------------------------------------
# Values: numbers, booleans, times, severities


_NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_INTEGER_RE = re.compile(r"[+-]?[0-9]+")
_ISO_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]+))?(?:(Z)|([+-])([0-9]{2}):?([0-9]{2}))"
)
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


def parse_number(text: str) -> float:
    """Parse an ATSD number (spec §1.2 rule 8): sign, digits, fraction, exponent or ``NaN``.

    Raises ``ValueError`` with a short reason; grouping, hex, ``Infinity`` and
    values beyond the double range are refused.
    """
    if text == "NaN":
        return NAN
    if not _NUMBER_RE.fullmatch(text):
        raise ValueError(f"{text!r} is not a number")
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"{text!r} is out of the double range")
    return value


def parse_bool(text: str) -> bool:
    lowered = text.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    raise ValueError(f"{text!r} is not a boolean (true or false)")


_SEVERITY_CODES = {name: code for code, name in enumerate(SEVERITY_NAMES)} | SEVERITY_ALIASES
_SEVERITY_CODES |= {str(code): code for code in range(len(SEVERITY_NAMES))}


def parse_severity(text: str) -> int:
    """Severity code for a code ``0``-``7`` or a name, case-insensitive (spec §1.3)."""
    code = _SEVERITY_CODES.get(text.upper())
    if code is None:
        raise ValueError(f"{text!r} is not a severity (0-7 or UNDEFINED ... FATAL)")
    return code


def _check_time_range(time_ms: int, written: str) -> int:
    if time_ms < 0:
        raise CommandError(f"time {written} is before 1970-01-01")
    if time_ms > MAX_TIME_MS:
        raise CommandError(f"time {written} is after {_MAX_TIME_TEXT}")
    return time_ms


@lru_cache(maxsize=4096)
def parse_iso_time(text: str) -> int:
    """Unix milliseconds of ``yyyy-MM-ddTHH:mm:ss[.S…](Z|±hh:mm|±hhmm)``.

    Cached because a batch usually repeats a handful of timestamps. Fractions
    below a millisecond are truncated. Raises ``CommandError``.
    """
    match = _ISO_RE.fullmatch(text)
    if match is None:
        raise CommandError(
            f"time {text}: not an ISO-8601 time (yyyy-MM-ddTHH:mm:ss[.SSS] with Z or ±hh:mm)"
        )
    year, month, day, hour, minute, second = (int(g) for g in match.group(1, 2, 3, 4, 5, 6))
    fraction, zulu, sign, off_hours, off_minutes = match.group(7, 8, 9, 10, 11)
    if year < 1:
        raise CommandError(f"time {text}: year {year} out of range")
    if not 1 <= month <= 12:
        raise CommandError(f"time {text}: month {month} out of range")
    try:
        ordinal = dt.date(year, month, day).toordinal()
    except ValueError:
        raise CommandError(f"time {text}: day {day} out of range") from None
    limits = (("hour", hour, 23), ("minute", minute, 59), ("second", second, 59))
    for label, number, limit in limits:
        if number > limit:
            raise CommandError(f"time {text}: {label} {number} out of range")
    offset_ms = 0
    if not zulu:
        if int(off_hours) > 18 or int(off_minutes) > 59:
            offset = f"{sign}{off_hours}:{off_minutes}"
            raise CommandError(f"time {text}: zone offset {offset} out of range")
        offset_ms = (int(off_hours) * 60 + int(off_minutes)) * 60_000
        if sign == "-":
            offset_ms = -offset_ms
    millis = int((fraction or "0")[:3].ljust(3, "0"))
    seconds = (ordinal - _EPOCH_ORDINAL) * 86_400 + hour * 3600 + minute * 60 + second
    return _check_time_range(seconds * 1000 + millis - offset_ms, text)


def parse_epoch(text: str, unit: str, scale: int) -> int:
    if not _INTEGER_RE.fullmatch(text):
        raise CommandError(f"time {text} {unit}: not a whole number")
    return _check_time_range(int(text) * scale, f"{text} {unit}")
