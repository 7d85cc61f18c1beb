"""The DateTime value of expressions (spec §4.6 DateTime members, §5.3 text form).

A DateTime is epoch milliseconds plus a zone name. Its text is Java's
``ZonedDateTime.toString()``: ``2018-08-17T15:13:16.946Z[Etc/UTC]``, seconds
dropped when seconds and millis are 0, millis dropped when 0, other zones print
their offset (``2018-09-12T21:33:42+01:00[Europe/Berlin]``).
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rules.expressions.errors import EvaluationError

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

_UNIT_MS = {
    "millisecond": 1,
    "second": 1000,
    "minute": 60_000,
    "hour": 3_600_000,
}
_CALENDAR_UNITS = {"day", "week", "month", "year"}


@functools.lru_cache(maxsize=256)
def get_zone(name: str) -> dt.tzinfo:
    """The tzinfo for ``name`` (IANA id, ``UTC``, ``Z``, ``+01:00``); EvaluationError if unknown."""
    if name in ("Z", "UTC", "utc", "GMT"):
        return ZoneInfo("UTC")
    if name and name[0] in "+-" and len(name) in (3, 6):
        sign = 1 if name[0] == "+" else -1
        hours = int(name[1:3])
        minutes = int(name[4:6]) if len(name) == 6 else 0
        return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise EvaluationError(f"unknown time zone {name!r}") from exc


def normalize_unit(unit: str) -> str:
    """'Minutes' / 'MINUTE' / 'min' → 'minute'; EvaluationError for unknown units."""
    u = str(unit).strip().lower()
    aliases = {"ms": "millisecond", "sec": "second", "min": "minute", "s": "second"}
    u = aliases.get(u, u)
    if u.endswith("s") and u[:-1] in (*_UNIT_MS, *_CALENDAR_UNITS):
        u = u[:-1]
    if u not in _UNIT_MS and u not in _CALENDAR_UNITS:
        raise EvaluationError(f"unknown time unit {unit!r}")
    return u


def parse_iso(text: str, zone: str = "UTC") -> int:
    """Epoch ms of an ISO 8601 text; a text without offset is read in ``zone``."""
    s = text.strip()
    try:
        if len(s) == 10:
            parsed = dt.datetime.fromisoformat(s)
        else:
            parsed = dt.datetime.fromisoformat(s.replace("z", "Z"))
    except ValueError as exc:
        raise EvaluationError(f"cannot parse date {text!r}") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=get_zone(zone))
    return _to_ms(parsed)


def _to_ms(value: dt.datetime) -> int:
    delta = value - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


class DateTime:
    """An instant in a zone. Immutable; compares with DateTimes, epoch ms and ISO strings."""

    __slots__ = ("_local", "millis", "zone")

    def __init__(self, millis: int, zone: str = "UTC") -> None:
        self.millis = int(millis)
        self.zone = zone
        tz = get_zone(zone)
        epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
        self._local = (epoch + dt.timedelta(milliseconds=self.millis)).astimezone(tz)

    # -- members of spec §4.6 -------------------------------------------------
    @property
    def local(self) -> dt.datetime:
        """The aware ``datetime`` in this DateTime's zone."""
        return self._local

    @property
    def epochNano(self) -> int:
        return self.millis * 1_000_000

    @property
    def iso(self) -> str:
        return format_iso_utc(self.millis)

    @property
    def year(self) -> int:
        return self._local.year

    @property
    def monthOfYear(self) -> int:
        return self._local.month

    @property
    def dayOfMonth(self) -> int:
        return self._local.day

    @property
    def hourOfDay(self) -> int:
        return self._local.hour

    @property
    def minuteOfHour(self) -> int:
        return self._local.minute

    @property
    def secondOfMinute(self) -> int:
        return self._local.second

    @property
    def millisOfSecond(self) -> int:
        return self._local.microsecond // 1000

    @property
    def dayOfYear(self) -> int:
        return self._local.timetuple().tm_yday

    @property
    def dayOfWeek(self) -> int:
        return self._local.isoweekday()

    @property
    def day_of_week(self) -> str:
        return DAY_NAMES[self._local.weekday()]

    @property
    def weekOfWeekyear(self) -> int:
        return self._local.isocalendar()[1]

    @property
    def timeOfDay(self) -> str:
        loc = self._local
        return f"{loc.hour:02d}:{loc.minute:02d}:{loc.second:02d}.{loc.microsecond // 1000:03d}"

    @property
    def minuteOfDay(self) -> int:
        return self._local.hour * 60 + self._local.minute

    @property
    def secondOfDay(self) -> int:
        return self.minuteOfDay * 60 + self._local.second

    @property
    def millisOfDay(self) -> int:
        return self.secondOfDay * 1000 + self.millisOfSecond

    def add(self, amount: float, unit: str) -> DateTime:
        """Shift by ``amount`` ``unit``s; days and longer keep the local time of day."""
        u = normalize_unit(unit)
        if u in _UNIT_MS:
            return DateTime(self.millis + round(float(amount) * _UNIT_MS[u]), self.zone)
        n = int(amount)
        loc = self._local.replace(tzinfo=None)
        if u in ("day", "week"):
            loc = loc + dt.timedelta(days=n * (7 if u == "week" else 1))
        else:
            months = loc.month - 1 + n * (12 if u == "year" else 1)
            year, month = loc.year + months // 12, months % 12 + 1
            day = min(loc.day, _days_in_month(year, month))
            loc = loc.replace(year=year, month=month, day=day)
        return DateTime(_to_ms(loc.replace(tzinfo=get_zone(self.zone))), self.zone)

    def to_timezone(self, zone: str) -> DateTime:
        return DateTime(self.millis, str(zone))

    def is_weekday(self) -> bool:
        return self._local.isoweekday() <= 5

    def is_weekend(self) -> bool:
        return self._local.isoweekday() >= 6

    def start_of_day(self) -> DateTime:
        loc = self._local.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
        return DateTime(_to_ms(loc.replace(tzinfo=get_zone(self.zone))), self.zone)

    # -- expression protocol ----------------------------------------------------
    _PROPERTIES = frozenset(
        {
            "millis", "epochNano", "iso", "year", "monthOfYear", "dayOfMonth", "hourOfDay",
            "minuteOfHour", "secondOfMinute", "millisOfSecond", "dayOfYear", "dayOfWeek",
            "day_of_week", "weekOfWeekyear", "timeOfDay", "minuteOfDay", "secondOfDay",
            "millisOfDay", "zone",
        }
    )  # fmt: skip
    _METHODS = frozenset({"add", "to_timezone", "is_weekday", "is_weekend"})

    def expression_member(self, name: str) -> Any:
        """``now.hourOfDay``; unknown members are ``None`` (missing fields are null)."""
        if name in self._PROPERTIES:
            return getattr(self, name)
        return None

    def expression_method(self, name: str, args: list[Any]) -> Any:
        """``now.add(1, 'day')``, ``now.getHourOfDay()``, ``now.hourOfDay()``."""
        if name in self._METHODS:
            return getattr(self, name)(*args)
        if name.startswith("get") and len(name) > 3 and not args:
            prop = name[3].lower() + name[4:]
            if prop in self._PROPERTIES:
                return getattr(self, prop)
        if name in self._PROPERTIES and not args:
            return getattr(self, name)
        if name in ("toString", "toDate") and not args:
            return str(self)
        raise EvaluationError(f"DateTime has no method {name}()")

    # -- comparisons ------------------------------------------------------------
    def _other_ms(self, other: Any) -> int | None:
        if isinstance(other, DateTime):
            return other.millis
        if isinstance(other, bool):
            return None
        if isinstance(other, int | float):
            return int(other)
        if isinstance(other, str):
            return parse_iso(other, self.zone)
        return None

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            try:
                return self.millis == self._other_ms(other)
            except EvaluationError:
                return False
        ms = self._other_ms(other)
        return ms is not None and ms == self.millis

    def __hash__(self) -> int:
        return hash(self.millis)

    def _cmp(self, other: Any) -> int:
        ms = self._other_ms(other)
        if ms is None:
            raise EvaluationError(f"cannot compare a date with {type(other).__name__}")
        return (self.millis > ms) - (self.millis < ms)

    def __lt__(self, other: Any) -> bool:
        return self._cmp(other) < 0

    def __le__(self, other: Any) -> bool:
        return self._cmp(other) <= 0

    def __gt__(self, other: Any) -> bool:
        return self._cmp(other) > 0

    def __ge__(self, other: Any) -> bool:
        return self._cmp(other) >= 0

    def __str__(self) -> str:
        loc = self._local
        text = f"{loc.year:04d}-{loc.month:02d}-{loc.day:02d}T{loc.hour:02d}:{loc.minute:02d}"
        millis = loc.microsecond // 1000
        if loc.second or millis:
            text += f":{loc.second:02d}"
            if millis:
                text += f".{millis:03d}"
        offset = loc.utcoffset() or dt.timedelta(0)
        if offset == dt.timedelta(0):
            text += "Z"
        else:
            total = int(offset.total_seconds())
            sign = "+" if total >= 0 else "-"
            hours, rest = divmod(abs(total), 3600)
            text += f"{sign}{hours:02d}:{rest // 60:02d}"
        if self.zone not in ("Z",) and not self.zone.startswith(("+", "-")):
            text += f"[{self.zone}]"
        return text

    def __repr__(self) -> str:
        return f"DateTime({self.millis}, {self.zone!r})"


def format_iso_utc(millis: int) -> str:
    """``2018-01-09T15:23:40.000Z``: the ISO form ``date_format(ms)`` prints."""
    d = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(milliseconds=int(millis))
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond // 1000:03d}Z"


def _days_in_month(year: int, month: int) -> int:
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return (nxt - dt.timedelta(days=1)).day
