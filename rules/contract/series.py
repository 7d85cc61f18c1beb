"""The series history as notifications uses it: charts read it, self-metrics feed it.

Chart portals and Send Screenshot read recorded series (``query``, ``series_ids``,
``recent_series``); notifications reports its own figures
(``web_service_notifications_per_minute``) as series of this server's entity, through
the same hand-off as any ingested sample.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.conf import settings
from redis.exceptions import RedisError

from rules.history.layout import parse_series_id
from rules.history.query import Series, last_sample_ms, query, series_ids
from rules.ingest.pipeline import hand_off, server_event

__all__ = [
    "Series",
    "SeriesName",
    "default_chart_series",
    "parse_series_id",
    "query",
    "recent_series",
    "record_self_metric",
    "series_ids",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SeriesName:
    """A recorded series and when its last sample arrived (0: only older minutes left)."""

    metric: str
    entity: str
    tags: dict[str, str] = field(default_factory=dict)
    last_ms: int = 0

    @property
    def own(self) -> bool:
        """A series of this server's own entity (timers, self-metrics), not a user's."""
        return self.entity == settings.SERVER_ENTITY


def recent_series(limit: int = 100) -> list[SeriesName]:
    """The recorded series, the most recently active first (ties in id order), at most
    ``limit``; empty when the history cannot be read (a chart form still renders)."""
    try:
        ids = series_ids()
        last = last_sample_ms(ids)
    except RedisError as exc:
        log.warning("series history unavailable: %s", exc)
        return []
    ordered = sorted(ids, key=lambda sid: -last[sid])[:limit]
    return [SeriesName(*parse_series_id(sid), last_ms=last[sid]) for sid in ordered]


def default_chart_series() -> SeriesName | None:
    """What a chart shows when no series is chosen: the most recently active series of
    the users' data, never this server's own metrics (a flat line right after the user
    fed data); None when no user series is recorded."""
    return next((s for s in recent_series(limit=10**6) if not s.own), None)


def record_self_metric(metric: str, value: float, tags: Mapping[str, str] | None = None) -> None:
    """Hand off one sample of ``metric`` for this server's entity (``SERVER_ENTITY``), now."""
    hand_off([server_event(metric, value, tags)])
