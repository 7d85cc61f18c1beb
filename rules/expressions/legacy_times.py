"""The legacy ``*_time`` and ``*_datetime`` placeholder texts (spec §5.2): a trigger's
times as templates show them, in the rule engine (Logging texts, derived commands) and
in notifications alike."""

from __future__ import annotations

import datetime as dt

from rules.expressions.datetime_value import get_zone


def local_datetime(ms: int, zone: str) -> dt.datetime:
    """Unix ms as an aware datetime in ``zone``."""
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return (epoch + dt.timedelta(milliseconds=int(ms))).astimezone(get_zone(zone))


def format_server_time(ms: int | None, zone: str) -> str | None:
    """``yyyy-MM-dd HH:mm:ss z`` in the server zone (``2017-11-23 14:06:35 UTC``)."""
    if ms is None:
        return None
    local = local_datetime(ms, zone)
    name = "UTC" if zone in ("UTC", "Z", "GMT", "Etc/UTC") else (local.tzname() or zone)
    return local.strftime("%Y-%m-%d %H:%M:%S ") + name


def format_utc_datetime(ms: int | None) -> str | None:
    """``yyyy-MM-ddTHH:mm:ssZ`` in UTC (``2017-11-23T14:06:35Z``)."""
    if ms is None:
        return None
    return local_datetime(ms, "UTC").strftime("%Y-%m-%dT%H:%M:%SZ")
