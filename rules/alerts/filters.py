"""ATSD Data API filters: entity filter, date filter, severities (spec §8 "Data API").

Every parser raises ``QueryError`` with a message naming the query index and the field,
so the views answer ``400 {"error": ...}`` and never a 500. Sources: ATSD
``api/data/filter-entity.md`` and ``api/data/filter-date.md``.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from rules.events import SEVERITY_ALIASES, SEVERITY_NAMES
from rules.wildcards import PatternTooLong, check_length, collapse_stars, has_wildcards


class QueryError(ValueError):
    """A request the API rejects with 400; ``str(exc)`` is the message for the client."""


def where(index: int, field: str) -> str:
    """The prefix every error message starts with: which query, which field."""
    return f"Query {index}: '{field}'"


# -- entity filter ----------------------------------------------------------------------


def pattern_arg(pattern: str, index: int, param: str) -> str:
    """``pattern`` itself, or ``QueryError`` naming the parameter when it is longer than
    the pattern length limit (WILDCARD_PATTERN_MAX_LENGTH)."""
    try:
        return check_length(pattern)
    except PatternTooLong as exc:
        raise QueryError(f"{where(index, param)}: {exc}") from None


def name_q(field: str, pattern: str, index: int = 0, param: str | None = None) -> Q:
    """Match ``field`` against one name or pattern (``*`` any run, ``?`` one character),
    case-insensitively; ``QueryError`` (naming query ``index`` and ``param``) for a
    pattern over the length limit.

    Patterns run in the database as an escaped ``LIKE`` (``field__iwildcard``), never
    as a regex. Entity and metric names are lower-cased on input (spec §1.1), so a
    client writing ``NURSWGVML007`` still finds ``nurswgvml007``.
    """
    pattern_arg(pattern, index, param or field)
    if has_wildcards(pattern):
        if collapse_stars(pattern) == "*":
            # '*' alone matches everything; skip the scan. Not Q(): an empty Q vanishes
            # when OR-ed with another, which would turn "a or all" into "a".
            return Q(pk__isnull=False)
        return Q(**{f"{field}__iwildcard": pattern})
    return Q(**{f"{field}__iexact": pattern})


def names_q(field: str, patterns: list[str], index: int = 0, param: str | None = None) -> Q:
    """Any of ``patterns`` (an empty list matches nothing)."""
    q = Q(pk__in=[])
    for pattern in patterns:
        q |= name_q(field, pattern, index, param)
    return q


def _string_list(value: Any, index: int, field: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise QueryError(f"{where(index, field)} must be an array of strings")
    return value


def entity_filter(query: dict[str, Any], index: int, field: str = "entity") -> Q:
    """The entity filter of one query as a ``Q`` on ``field``.

    Precedence ``entity`` > ``entities`` > ``entityGroup``; one of them is required.
    Entity groups and ``entityExpression`` are not supported yet: a query using them is
    rejected rather than answered with more entities than it asked for.
    """
    if "entityExpression" in query:
        raise QueryError(f"{where(index, 'entityExpression')} is not supported yet")
    if query.get("entity") is not None:
        value = query["entity"]
        if not isinstance(value, str) or not value.strip():
            raise QueryError(f"{where(index, 'entity')} must be a non-empty string")
        return name_q(field, value.strip(), index, "entity")
    if query.get("entities") is not None:
        names = _string_list(query["entities"], index, "entities")
        return names_q(field, [n.strip() for n in names if n.strip()], index, "entities")
    if query.get("entityGroup") is not None:
        raise QueryError(f"{where(index, 'entityGroup')}: entity groups are not supported yet")
    raise QueryError(
        f"Query {index}: missing entity filter: one of 'entity', 'entities' or "
        "'entityGroup' is required"
    )


# -- date filter --------------------------------------------------------------------------

UNITS = ("MILLISECOND", "SECOND", "MINUTE", "HOUR", "DAY", "WEEK", "MONTH", "YEAR")
_FIXED = {
    "MILLISECOND": timedelta(milliseconds=1),
    "SECOND": timedelta(seconds=1),
    "MINUTE": timedelta(minutes=1),
    "HOUR": timedelta(hours=1),
    "DAY": timedelta(days=1),
    "WEEK": timedelta(weeks=1),
}
_PERIODS = ("MINUTE", "HOUR", "DAY", "WEEK", "MONTH", "YEAR")
_KEYWORD = re.compile(
    r"^(now|(?:current|previous|next)_(?:" + "|".join(_PERIODS) + r"))"
    r"((?:\s*[+-]\s*\d+(?:\.\d+)?\s*\*\s*[a-z_]+)*)\s*$",
    re.IGNORECASE,
)
_TERM = re.compile(r"([+-])\s*(\d+(?:\.\d+)?)\s*\*\s*([a-z_]+)", re.IGNORECASE)


def shift(moment: datetime, count: float, unit: str) -> datetime:
    """``moment`` moved by ``count`` units; MONTH and YEAR are calendar steps
    (Jan 31 + 1 MONTH = Feb 28/29), the others fixed durations."""
    if unit in _FIXED:
        return moment + _FIXED[unit] * count
    months = round(count * (12 if unit == "YEAR" else 1))
    total = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(total, 12)
    month += 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _period_start(moment: datetime, period: str) -> datetime:
    """Start of the calendar ``period`` containing ``moment`` (server zone, weeks on Monday)."""
    local = timezone.localtime(moment)
    if period == "MINUTE":
        local = local.replace(second=0, microsecond=0)
    elif period == "HOUR":
        local = local.replace(minute=0, second=0, microsecond=0)
    else:
        local = local.replace(hour=0, minute=0, second=0, microsecond=0)
        if period == "WEEK":
            local -= timedelta(days=local.weekday())
        elif period == "MONTH":
            local = local.replace(day=1)
        elif period == "YEAR":
            local = local.replace(month=1, day=1)
    return local


def _keyword_base(word: str, now: datetime) -> datetime:
    word = word.lower()
    if word == "now":
        return now
    relation, _, period = word.partition("_")
    period = period.upper()
    start = _period_start(now, period)
    if relation == "previous":
        return shift(start, -1, period)
    if relation == "next":
        return shift(start, 1, period)
    return start


def parse_date(value: Any, index: int, field: str, now: datetime | None = None) -> datetime:
    """An ATSD date: ISO-8601 (``2016-05-07T04:00:00Z``, offsets, fractions; no zone = UTC)
    or a calendar keyword: ``now``, ``current_day``, ``previous_hour`` … followed by any
    number of ``± N * UNIT`` terms (``now - 1 * HOUR``). Returns an aware datetime."""
    if not isinstance(value, str) or not value.strip():
        raise QueryError(f"{where(index, field)} must be a date string, got {value!r}")
    text = value.strip()
    now = now or timezone.now()
    match = _KEYWORD.match(text)
    if match:
        moment = _keyword_base(match.group(1), now)
        for sign, number, unit in _TERM.findall(match.group(2)):
            unit = unit.upper()
            if unit not in UNITS:
                raise QueryError(
                    f"{where(index, field)}: unknown unit {unit!r} in {text!r}; "
                    f"expected one of {', '.join(UNITS)}"
                )
            moment = shift(moment, float(number) * (-1 if sign == "-" else 1), unit)
        return moment
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise QueryError(
            f"{where(index, field)}: cannot parse {text!r}: expected ISO-8601 such as "
            "'2016-05-07T04:00:00Z', 'now' or 'now - 1 * HOUR'"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def parse_interval(value: Any, index: int) -> tuple[float, str]:
    """``{"count": 5, "unit": "MINUTE"}`` → ``(5, "MINUTE")``; count must be > 0."""
    field = "interval"
    if not isinstance(value, dict):
        raise QueryError(
            f'{where(index, field)} must be an object like {{"count":5,"unit":"MINUTE"}}'
        )
    count = value.get("count")
    if isinstance(count, bool) or not isinstance(count, int | float) or count <= 0:
        raise QueryError(f"{where(index, 'interval.count')} must be a positive number")
    unit = value.get("unit")
    if not isinstance(unit, str) or unit.upper() not in UNITS:
        raise QueryError(
            f"{where(index, 'interval.unit')}: unknown unit {unit!r}; "
            f"expected one of {', '.join(UNITS)}"
        )
    return count, unit.upper()


@dataclass(frozen=True)
class DateRange:
    """``start`` inclusive, ``end`` exclusive."""

    start: datetime
    end: datetime

    def q(self, field: str) -> Q:
        return Q(**{f"{field}__gte": self.start, f"{field}__lt": self.end})


def date_filter(query: dict[str, Any], index: int, now: datetime | None = None) -> DateRange:
    """The date filter of one query (required).

    ``startDate`` + ``endDate``; or one of them + ``interval``; or ``interval`` alone,
    ending now. With all three, ``interval`` is ignored as ATSD does.
    """
    now = now or timezone.now()
    start_text, end_text = query.get("startDate"), query.get("endDate")
    start = parse_date(start_text, index, "startDate", now) if start_text is not None else None
    end = parse_date(end_text, index, "endDate", now) if end_text is not None else None
    interval = parse_interval(query["interval"], index) if "interval" in query else None
    if start is not None and end is not None:
        return DateRange(start, end)
    if interval is not None:
        count, unit = interval
        if start is not None:
            return DateRange(start, shift(start, count, unit))
        end = end if end is not None else now
        return DateRange(shift(end, -count, unit), end)
    raise QueryError(
        f"Query {index}: missing date filter: give 'startDate' and 'endDate', "
        "or one of them with 'interval', or 'interval' alone"
    )


# -- severities ---------------------------------------------------------------------------


def parse_severity(value: Any, index: int, field: str) -> str:
    """A severity name (any case, ATSD aliases INFO/WARN/ERROR) or code 0-7 → upper-case name."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(SEVERITY_NAMES):
        return SEVERITY_NAMES[value]
    if isinstance(value, str):
        name = value.strip().upper()
        if name in SEVERITY_NAMES:
            return name
        if name in SEVERITY_ALIASES:
            return SEVERITY_NAMES[SEVERITY_ALIASES[name]]
    raise QueryError(
        f"{where(index, field)}: unknown severity {value!r}; expected one of "
        f"{', '.join(SEVERITY_NAMES)}"
    )


def severities_at_least(name: str) -> list[str]:
    """Every severity name ranked at or above ``name``."""
    return list(SEVERITY_NAMES[SEVERITY_NAMES.index(name) :])


def parse_limit(query: dict[str, Any], index: int, default: int) -> int | None:
    """``limit``: an integer; ≤ 0 (ATSD's "unlimited") is None, which the row cap of
    ``atsd_alerts.api_pages`` turns into API_MAX_PAGE_SIZE."""
    value = query.get("limit", default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise QueryError(f"{where(index, 'limit')} must be an integer, got {value!r}")
    return value if value > 0 else None


def optional_strings(query: dict[str, Any], index: int, field: str) -> list[str] | None:
    """An optional array-of-strings field; None when absent or null."""
    if query.get(field) is None:
        return None
    return _string_list(query[field], index, field)


def optional_string(query: dict[str, Any], index: int, field: str) -> str | None:
    """An optional non-empty string field; None when absent, null or blank."""
    value = query.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise QueryError(f"{where(index, field)} must be a string, got {value!r}")
    return value.strip() or None
