"""The legacy ``dateFilter`` of a rule: the hours and days it is active (spec §2.2).

``<start-time>HH:MM</start-time><end-time>HH:MM</end-time><type>T</type>``: events are
processed only while the server clock, in the server time zone, is inside
``[start, end)`` on a day of the type — ``ALL`` every day, ``WORKING_DAYS`` (also
``WEEKDAYS``) Monday to Friday, ``WEEKENDS`` Saturday and Sunday **[decision: ATSD's
UI offered these; public exports only show ALL 00:00-24:00]**. An end before the
start spans midnight (the day is the one the span starts on). ``00:00``-``24:00`` on
every day is "always" and costs nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

_TIME_RE = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)$")
DAY_TYPES: dict[str, frozenset[int]] = {
    "ALL": frozenset(range(7)),
    "WORKING_DAYS": frozenset(range(5)),
    "WEEKDAYS": frozenset(range(5)),
    "WEEKENDS": frozenset({5, 6}),
}
_DAY_MINUTES = 24 * 60


def parse_time_of_day(text: str) -> int:
    """``HH:MM`` (``24:00`` allowed) → minutes since midnight; ``ValueError`` otherwise."""
    match = _TIME_RE.match(text.strip())
    minutes = int(match.group(1)) * 60 + int(match.group(2)) if match else -1
    if not 0 <= minutes <= _DAY_MINUTES:
        raise ValueError(f"{text.strip()!r} is not a time of day (HH:MM, 00:00 to 24:00)")
    return minutes


@dataclass(frozen=True)
class ActiveHours:
    start: int  # minutes since midnight
    end: int
    days: frozenset[int]  # Monday = 0

    @classmethod
    def parse(cls, start: str, end: str, day_type: str) -> ActiveHours | None:
        """The schedule, or None when it is "always". ``ValueError`` names what is wrong."""
        kind = day_type.strip().upper() or "ALL"
        if kind not in DAY_TYPES:
            raise ValueError(f"type {day_type.strip()!r} is not one of {', '.join(DAY_TYPES)}")
        hours = cls(
            parse_time_of_day(start or "00:00"), parse_time_of_day(end or "24:00"), DAY_TYPES[kind]
        )
        if hours.start == 0 and hours.end == _DAY_MINUTES and len(hours.days) == 7:
            return None
        return hours

    def active(self, now_ms: int, zone: str) -> bool:
        local = datetime.fromtimestamp(now_ms / 1000, UTC).astimezone(ZoneInfo(zone))
        minute = local.hour * 60 + local.minute
        day = local.weekday()
        if self.start <= self.end:
            return day in self.days and self.start <= minute < self.end
        if minute >= self.start:  # before midnight, on the day the span starts
            return day in self.days
        if minute < self.end:  # after midnight: the span started the day before
            return (local - timedelta(days=1)).weekday() in self.days
        return False
