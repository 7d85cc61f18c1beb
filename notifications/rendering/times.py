"""Times as notification texts and details tables show them, in the server zone."""

from __future__ import annotations

import datetime as dt

from rules.expressions.legacy_times import format_server_time, format_utc_datetime
from rules.expressions.legacy_times import local_datetime as _local

__all__ = ["format_server_time", "format_table_time", "format_utc_datetime", "zone_description"]


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
