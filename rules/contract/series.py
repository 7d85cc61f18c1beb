"""The series history as notifications uses it: charts read it, self-metrics feed it.

Chart portals and Send Screenshot read recorded series (``query``, ``series_ids``);
notifications reports its own figures (``web_service_notifications_per_minute``) as
series of this server's entity, through the same hand-off as any ingested sample.
"""

from __future__ import annotations

from collections.abc import Mapping

from rules.history.layout import parse_series_id
from rules.history.query import Series, query, series_ids
from rules.ingest.pipeline import hand_off, server_event

__all__ = [
    "Series",
    "last_recorded_series",
    "parse_series_id",
    "query",
    "record_self_metric",
    "series_ids",
]


def last_recorded_series() -> tuple[str, str, dict[str, str]] | None:
    """(metric, entity, tags) of the last recorded series in id order, None when none is:
    something to show when a chart is asked for without a series."""
    ids = series_ids()
    return parse_series_id(ids[-1]) if ids else None


def record_self_metric(metric: str, value: float, tags: Mapping[str, str] | None = None) -> None:
    """Hand off one sample of ``metric`` for this server's entity (``SERVER_ENTITY``), now."""
    hand_off([server_event(metric, value, tags)])
