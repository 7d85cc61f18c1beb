"""Entity and metric registries seen from ingestion: create on first sight, skip disabled.

Each ingesting process keeps the names it has seen in memory so a known name costs
a set lookup; new names are created in bulk, last-insert times are written at most
once per ``TOUCH_INTERVAL_S`` per name, and the disabled sets are re-read as often.
"""

import threading
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from django.db import transaction

from rules.ingest.events import MESSAGE, PROPERTY, Event
from rules.models import Entity, Metric

TOUCH_INTERVAL_S = 60.0  # last-insert times are kept to the minute


class Registry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._touched: dict[tuple[str, str], float] = {}
        self._disabled_entities: frozenset[str] = frozenset()
        self._disabled_metrics: frozenset[str] = frozenset()
        self._disabled_read_at = 0.0

    def observe(self, events: Sequence[Event]) -> list[Event]:
        """Register the names in ``events``; return those whose entity and metric are enabled."""
        if not events:
            return []
        now = time.monotonic()
        entities = {event.entity for event in events}
        metrics = {event.metric for event in events if event.kind not in (MESSAGE, PROPERTY)}
        with self._lock:
            due_entities = self._due("e", entities, now)
            due_metrics = self._due("m", metrics, now)
            refresh = now - self._disabled_read_at >= TOUCH_INTERVAL_S
            if refresh:
                self._disabled_read_at = now
        if due_entities or due_metrics:
            self._touch(Entity, due_entities)
            self._touch(Metric, due_metrics)
        if refresh:
            self._read_disabled()
        disabled_e, disabled_m = self._disabled_entities, self._disabled_metrics
        if not disabled_e and not disabled_m:
            return list(events)
        return [e for e in events if e.entity not in disabled_e and e.metric not in disabled_m]

    def forget(self) -> None:
        """Drop the cache (tests, or after an administrator enables/disables names)."""
        with self._lock:
            self._touched.clear()
            self._disabled_read_at = 0.0

    def _due(self, kind: str, names: Iterable[str], now: float) -> list[str]:
        due = []
        for name in names:
            key = (kind, name)
            if now - self._touched.get(key, -TOUCH_INTERVAL_S) >= TOUCH_INTERVAL_S:
                self._touched[key] = now
                due.append(name)
        return due

    @staticmethod
    def _touch(model: type[Entity] | type[Metric], names: list[str]) -> None:
        if not names:
            return
        stamp = datetime.now(tz=UTC)
        with transaction.atomic():
            model.objects.bulk_create(
                [model(name=name, last_insert=stamp) for name in names], ignore_conflicts=True
            )
            model.objects.filter(name__in=names).update(last_insert=stamp)

    def _read_disabled(self) -> None:
        self._disabled_entities = frozenset(
            Entity.objects.filter(enabled=False).values_list("name", flat=True)
        )
        self._disabled_metrics = frozenset(
            Metric.objects.filter(enabled=False).values_list("name", flat=True)
        )


registry = Registry()
