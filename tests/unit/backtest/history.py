"""Feeding the series history and reading what a backtest must leave alone."""

from __future__ import annotations

import time
from collections.abc import Iterable

from django.apps import apps

from atsd_alerts.redis import client
from rules.events import SERIES, Event
from rules.history import recorder

MIN = 60_000


def now_ms() -> int:
    return int(time.time() * 1000)


def sample(value: float, t: int, entity: str = "e1", metric: str = "cpu", **tags: str) -> Event:
    return Event(SERIES, entity, metric, dict(tags), t, t, value, line_values={metric: value})


def feed(events: Iterable[Event]) -> list[Event]:
    """Record ``events`` in the series history as the ingest recorder would."""
    events = list(events)
    recorder.write(events, now_ms=now_ms())
    return events


def redis_state() -> dict[bytes, bytes]:
    """Every Redis key with a dump of its value: equal before and after means untouched."""
    redis = client()
    return {key: redis.dump(key) for key in sorted(redis.scan_iter(count=1000))}


def database_state() -> dict[str, int]:
    """Row count of every model of the project's apps."""
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.app_label in ("rules", "notifications", "auth")
    }
