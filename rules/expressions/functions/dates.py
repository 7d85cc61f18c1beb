"""Date functions (spec §4.6) and the Java date-pattern subset they understand.

Patterns: ``yyyy yy MM MMM MMMM M dd d HH H hh h mm m ss s SSS a E EEE EEEE D z Z XXX X``
and ``'quoted text'``. ``date_format(ms)`` without a pattern prints ISO UTC
(``2018-01-09T15:23:40.000Z``); a pattern without a zone uses the server zone.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any

from rules.expressions.datetime_value import DateTime, _to_ms, format_iso_utc, get_zone, parse_iso
from rules.expressions.errors import EvaluationError
from rules.expressions.functions.registry import register
from rules.expressions.functions.statistics import parse_interval_ms
from rules.expressions.semantics import is_number, text_of, to_number

LONG_MAX = 9223372036854775807
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")  # fmt: skip
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@functools.lru_cache(maxsize=256)
def _pattern_tokens(pattern: str) -> tuple[tuple[str, str], ...]:
    """Split a Java pattern into ('field', 'yyyy') and ('text', '-') tokens."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "'":
            j = pattern.find("'", i + 1)
            if j == i + 1:
                out.append(("text", "'"))
                i += 2
                continue
            if j < 0:
                raise EvaluationError(f"unterminated quote in date pattern {pattern!r}")
            out.append(("text", pattern[i + 1 : j]))
            i = j + 1
            continue
        if ch.isalpha():
            j = i
            while j < len(pattern) and pattern[j] == ch:
                j += 1
            if ch not in "yMdHhmsSaEDzZXu":
                raise EvaluationError(f"unsupported date pattern letter {ch!r}")
            out.append(("field", pattern[i:j]))
            i = j
            continue
        out.append(("text", ch))
        i += 1
    return tuple(out)


def _offset_text(d: dt.datetime, colon: bool, z_for_zero: bool) -> str:
    off = d.utcoffset() or dt.timedelta(0)
    total = int(off.total_seconds())
    if total == 0 and z_for_zero:
        return "Z"
    sign = "+" if total >= 0 else "-"
    h, rest = divmod(abs(total), 3600)
    return f"{sign}{h:02d}{':' if colon else ''}{rest // 60:02d}"


def java_format(d: dt.datetime, pattern: str) -> str:
    """Format an aware datetime with a Java SimpleDateFormat/DateTimeFormatter pattern."""
    out = []
    for kind, tok in _pattern_tokens(pattern):
        if kind == "text":
            out.append(tok)
            continue
        ch, n = tok[0], len(tok)
        if ch == "y":
            out.append(f"{d.year % 100:02d}" if n == 2 else f"{d.year:0{n}d}")
        elif ch == "M":
            if n >= 4:
                out.append(_MONTHS[d.month - 1])
            elif n == 3:
                out.append(_MONTHS[d.month - 1][:3])
            else:
                out.append(f"{d.month:0{n}d}")
        elif ch == "d":
            out.append(f"{d.day:0{n}d}")
        elif ch == "D":
            out.append(f"{d.timetuple().tm_yday:0{n}d}")
        elif ch == "H":
            out.append(f"{d.hour:0{n}d}")
        elif ch == "h":
            out.append(f"{(d.hour % 12) or 12:0{n}d}")
        elif ch == "m":
            out.append(f"{d.minute:0{n}d}")
        elif ch == "s":
            out.append(f"{d.second:0{n}d}")
        elif ch == "S":
            out.append(f"{d.microsecond // 1000:03d}"[:n].ljust(n, "0"))
        elif ch == "a":
            out.append("AM" if d.hour < 12 else "PM")
        elif ch == "E":
            out.append(_DAYS[d.weekday()] if n >= 4 else _DAYS[d.weekday()][:3])
        elif ch == "u":
            out.append(str(d.isoweekday()))
        elif ch == "z":
            out.append(d.tzname() or "")
        elif ch == "Z":
            out.append(_offset_text(d, colon=False, z_for_zero=False))
        elif ch == "X":
            out.append(_offset_text(d, colon=n >= 3, z_for_zero=True))
    return "".join(out)


_FIELD_RE = {
    "y": r"(?P<y>\d{4})", "M": r"(?P<M>\d{1,2})", "d": r"(?P<d>\d{1,2})",
    "H": r"(?P<H>\d{1,2})", "h": r"(?P<h>\d{1,2})", "m": r"(?P<m>\d{1,2})",
    "s": r"(?P<s>\d{1,2})", "S": r"(?P<S>\d{1,9})", "a": r"(?P<a>[AaPp][Mm])",
    "E": r"(?P<E>[A-Za-z]+)", "D": r"(?P<D>\d{1,3})", "u": r"(?P<u>\d)",
    "z": r"(?P<z>[A-Za-z_/+\-0-9]+)", "Z": r"(?P<Z>[+-]\d{4})",
    "X": r"(?P<X>Z|[+-]\d{2}:?\d{2}|[+-]\d{2})",
}  # fmt: skip


def java_parse(text: str, pattern: str, zone: str) -> int:
    """Epoch ms of ``text`` read with a Java pattern; fields absent default to 1970-01-01 00:00."""
    parts = []
    for kind, tok in _pattern_tokens(pattern):
        if kind == "text":
            parts.append(re.escape(tok))
        elif tok[0] == "y" and len(tok) == 2:
            parts.append(r"(?P<yy>\d{2})")
        elif tok[0] == "M" and len(tok) >= 3:
            parts.append(r"(?P<MMM>[A-Za-z]+)")
        else:
            parts.append(_FIELD_RE[tok[0]])
    try:
        m = re.fullmatch("".join(parts), text.strip())
    except re.error as exc:  # a field used twice
        raise EvaluationError(f"unsupported date pattern {pattern!r}") from exc
    if not m:
        raise EvaluationError(f"cannot parse {text!r} with pattern {pattern!r}")
    g = m.groupdict()
    year = int(g["y"]) if g.get("y") else (2000 + int(g["yy"]) if g.get("yy") else 1970)
    if g.get("MMM"):
        names = [x[:3].lower() for x in _MONTHS]
        key = g["MMM"][:3].lower()
        if key not in names:
            raise EvaluationError(f"unknown month {g['MMM']!r}")
        month = names.index(key) + 1
    else:
        month = int(g.get("M") or 1)
    hour = int(g["H"]) if g.get("H") else int(g.get("h") or 0) % 12
    if g.get("a") and g["a"].upper() == "PM" and not g.get("H"):
        hour += 12
    millis = int((g.get("S") or "0").ljust(3, "0")[:3])
    try:
        local = dt.datetime(
            year, month, int(g.get("d") or 1), hour, int(g.get("m") or 0), int(g.get("s") or 0)
        )
    except ValueError as exc:
        raise EvaluationError(f"invalid date {text!r}: {exc}") from exc
    offset = g.get("X") or g.get("Z")
    if offset:
        tz: dt.tzinfo = dt.UTC if offset == "Z" else _fixed_offset(offset)
    elif g.get("z"):
        tz = get_zone(g["z"])
    else:
        tz = get_zone(zone)
    return _to_ms(local.replace(tzinfo=tz)) + millis


def _fixed_offset(text: str) -> dt.tzinfo:
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    sign = 1 if text[0] == "+" else -1
    return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))


def to_millis(ctx: Any, value: Any) -> int:
    """Epoch ms of a DateTime, a number (ms) or an ISO text read in the server zone."""
    if isinstance(value, DateTime):
        return value.millis
    if is_number(value):
        return int(value)
    if isinstance(value, str):
        return parse_iso(value, ctx.zone)
    raise EvaluationError(f"not a date: {text_of(value)!r}")


@register("date_format", 1, 3)
def date_format(ctx: Any, value: Any, pattern: Any = None, zone: Any = None) -> str:
    """Text of a time (ms or DateTime): ISO UTC without a pattern, else the pattern in zone."""
    ms = to_millis(ctx, value)
    if pattern is None or pattern == "":
        if zone is None:
            return format_iso_utc(ms)
        pattern = "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"
    tz_name = text_of(zone) if zone is not None else ctx.zone
    return java_format(DateTime(ms, tz_name).local, text_of(pattern))


@register("date_parse", 1, 3)
def date_parse(ctx: Any, text: Any, pattern: Any = None, zone: Any = None) -> DateTime:
    """A DateTime from ISO text or from text in a Java pattern (zone default: server zone)."""
    tz_name = text_of(zone) if zone is not None else ctx.zone
    if pattern is None:
        return DateTime(parse_iso(text_of(text), tz_name), tz_name)
    return DateTime(java_parse(text_of(text), text_of(pattern), tz_name), tz_name)


@register("to_datetime", 1, 2)
def to_datetime(ctx: Any, value: Any, zone: Any = None) -> DateTime:
    """A DateTime from epoch ms (or ISO text) in zone (default: server zone)."""
    return DateTime(to_millis(ctx, value), text_of(zone) if zone is not None else ctx.zone)


@register("milliseconds", 1, 3)
def milliseconds(ctx: Any, text: Any, pattern: Any = None, zone: Any = None) -> int:
    """Epoch ms of a date text (ISO, or the Java pattern), or of a DateTime."""
    if isinstance(text, DateTime) or is_number(text):
        return to_millis(ctx, text)
    return date_parse(ctx, text, pattern, zone).millis


@register("seconds", 1, 3)
def seconds(ctx: Any, text: Any, pattern: Any = None, zone: Any = None) -> int:
    """Epoch seconds of a date text or DateTime."""
    return milliseconds(ctx, text, pattern, zone) // 1000


@register("elapsedTime", 1, 2)
def elapsed_time(ctx: Any, a: Any, b: Any = None) -> int:
    """ms from a to now, or from a to b; a null time gives 9223372036854775807 (Long.MAX)."""
    if a is None or a == "":
        return LONG_MAX
    start = to_millis(ctx, a)
    if b is None:
        return ctx.now_ms - start
    if b == "":
        return LONG_MAX
    return to_millis(ctx, b) - start


@register("elapsed_minutes", 1, 2)
def elapsed_minutes(ctx: Any, a: Any, b: Any = None) -> float:
    """elapsedTime() in minutes."""
    ms = elapsed_time(ctx, a, b)
    return float(ms) if ms == LONG_MAX else ms / 60_000


_INTERVAL_UNITS = (("y", 365 * 86_400_000), ("d", 86_400_000), ("h", 3_600_000),
                   ("m", 60_000), ("s", 1000))  # fmt: skip


def _interval_parts(ms: Any) -> list[str]:
    rest = abs(int(to_number(ms, "interval")))
    parts = []
    for unit, size in _INTERVAL_UNITS:
        n, rest = divmod(rest, size)
        if n:
            parts.append(f"{n}{unit}")
    return parts


@register("formatInterval", 1)
def format_interval(ctx: Any, ms: Any) -> str:
    """``2y 139d 16h 47m 15s``: non-zero units from years to seconds; under 1 s → ``0s``."""
    parts = _interval_parts(ms)
    sign = "-" if to_number(ms) < 0 and parts else ""
    return sign + (" ".join(parts) if parts else "0s")


@register("formatIntervalShort", 1)
def format_interval_short(ctx: Any, ms: Any) -> str:
    """The two largest non-zero units of formatInterval(): ``2y 139d``."""
    parts = _interval_parts(ms)[:2]
    sign = "-" if to_number(ms) < 0 and parts else ""
    return sign + (" ".join(parts) if parts else "0s")


_WINDOW_TEXT = re.compile(r"^\s*(time|length)\s*\(\s*(.*?)\s*\)\s*$", re.IGNORECASE)


def _window_spec(ctx: Any) -> tuple[str, str] | None:
    m = _WINDOW_TEXT.match(text_of(ctx.lookup("window")))
    return (m.group(1).lower(), m.group(2)) if m else None


@register("window_length_time", 0)
def window_length_time(ctx: Any) -> int:
    """Length of a time window in ms (0 for count windows); from the ``window`` field."""
    spec = _window_spec(ctx)
    return parse_interval_ms(spec[1]) if spec and spec[0] == "time" else 0


@register("window_length_count", 0)
def window_length_count(ctx: Any) -> int:
    """Length of a count window in samples (0 for time windows); from the ``window`` field."""
    spec = _window_spec(ctx)
    return int(spec[1]) if spec and spec[0] == "length" else 0


@register("windowStartTime", 0)
def window_start_time(ctx: Any) -> int | None:
    """Time of the oldest sample in the window (ms); ``now - length`` for an empty time window."""
    window = ctx.window
    times = list(window.times()) if window is not None else []
    if times:
        return times[0]
    spec = _window_spec(ctx)
    if spec and spec[0] == "time":
        return ctx.now_ms - parse_interval_ms(spec[1])
    return None
