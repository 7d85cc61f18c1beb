"""Times as notification texts and details tables show them, in the server zone."""

from __future__ import annotations

import datetime as dt

from rules.expressions.datetime_value import get_zone


def format_server_time(ms: int | None, zone: str) -> str | None:
    """``yyyy-MM-dd HH:mm:ss z`` in the server zone (``2017-11-23 14:06:35 UTC``)."""
    if ms is None:
        return None
    local = _local(ms, zone)
    name = "UTC" if zone in ("UTC", "Z", "GMT", "Etc/UTC") else (local.tzname() or zone)
    return local.strftime("%Y-%m-%d %H:%M:%S ") + name


def format_utc_datetime(ms: int | None) -> str | None:
    """``yyyy-MM-ddTHH:mm:ssZ`` in UTC (``2017-11-23T14:06:35Z``)."""
    if ms is None:
        return None
    return _local(ms, "UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def format_table_time(ms: int | None, zone: str) -> str | None:
    """``yyyy-MM-dd HH:mm:ss`` in the server zone: details tables show the zone in a row."""
    if ms is None:
        return None
    return _local(ms, zone).strftime("%Y-%m-%d %H:%M:%S")


def zone_description(zone: str, at_ms: int) -> str:
    """The details table's ``timezone`` row: ``UTC (+00:00)``, ``Europe/Berlin (+01:00)``."""
    offset = _local(at_ms, zone).utcoffset() or dt.timedelta(0)
    total = int(offset.total_seconds())
    sign = "+" if total >= 0 else "-"
    hours, rest = divmod(abs(total), 3600)
    return f"{zone} ({sign}{hours:02d}:{rest // 60:02d})"


def _local(ms: int, zone: str) -> dt.datetime:
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return (epoch + dt.timedelta(milliseconds=int(ms))).astimezone(get_zone(zone))
