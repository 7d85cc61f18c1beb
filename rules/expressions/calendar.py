"""Dates that functions take as text: ISO 8601 or an ATSD calendar keyword.

``now``, ``today``, ``yesterday``, ``tomorrow``, ``current_<period>``,
``previous_<period>``, ``next_<period>`` (period: minute, hour, day, week, month,
year; weeks start on Monday), each optionally followed by ``± N * UNIT`` terms
(``now - 1 * DAY``, ``current_day + 9 * HOUR``). Keywords are case-insensitive and
read in the server zone.
"""

from __future__ import annotations

import re
from typing import Any

from rules.expressions.datetime_value import DateTime, normalize_unit, parse_iso
from rules.expressions.errors import EvaluationError
from rules.expressions.semantics import is_number

_KEYWORD = re.compile(r"^\s*([a-z_]+)\s*((?:[+-]\s*\d+(?:\.\d+)?\s*\*\s*[a-z]+\s*)*)$", re.I)
_TERM = re.compile(r"([+-])\s*(\d+(?:\.\d+)?)\s*\*\s*([a-z]+)", re.I)
_PERIODS = ("minute", "hour", "day", "week", "month", "year")


def _period_start(now: DateTime, period: str) -> DateTime:
    if period == "minute":
        return DateTime(now.millis - now.millis % 60_000, now.zone)
    if period == "hour":
        return now.add(-(now.millisOfDay % 3_600_000), "millisecond")
    day = now.start_of_day()
    if period == "week":
        return day.add(-(day.dayOfWeek - 1), "day")
    if period == "month":
        return day.add(-(day.dayOfMonth - 1), "day")
    if period == "year":
        return day.add(-(day.dayOfYear - 1), "day")
    return day


def _keyword_base(word: str, now: DateTime) -> DateTime | None:
    if word == "now":
        return now
    if word in ("today", "yesterday", "tomorrow"):
        day = now.start_of_day()
        return day if word == "today" else day.add(-1 if word == "yesterday" else 1, "day")
    relation, _, period = word.partition("_")
    if relation not in ("current", "previous", "next") or period not in _PERIODS:
        return None
    start = _period_start(now, period)
    if relation == "current":
        return start
    return start.add(-1 if relation == "previous" else 1, period)


def date_millis(value: Any, now_ms: int, zone: str) -> int:
    """Epoch ms of a DateTime, a number (ms), an ISO text or a calendar keyword.

    Raises ``EvaluationError`` for anything else.
    """
    if isinstance(value, DateTime):
        return value.millis
    if is_number(value):
        return int(value)
    if not isinstance(value, str):
        raise EvaluationError(f"not a date: {value!r}")
    match = _KEYWORD.match(value)
    if match:
        moment = _keyword_base(match.group(1).lower(), DateTime(now_ms, zone))
        if moment is not None:
            for sign, number, unit in _TERM.findall(match.group(2)):
                amount = float(number) * (-1 if sign == "-" else 1)
                moment = moment.add(amount, normalize_unit(unit))
            return moment.millis
    try:
        return parse_iso(value, zone)
    except EvaluationError:
        raise EvaluationError(
            f"cannot read date {value!r}: expected ISO 8601, 'today' or 'now - 1 * DAY'"
        ) from None
