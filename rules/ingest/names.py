"""The entity and metric names seen from ingestion: created on first sight, disabled skipped.

Which entity sent which metric is kept too (``EntityMetric``), written the same way.

Each ingesting process keeps the names it has written in memory, so a batch of known
names costs one set difference; new names are created in bulk, last-insert times are
written once per ``TOUCH_INTERVAL_S`` round per name seen, and the disabled sets are
re-read as often.
"""

import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TypeVar

from django.db import transaction

from rules.events import MESSAGE, PROPERTY, SERIES, Event
from rules.models import Entity, EntityMetric, Metric

TOUCH_INTERVAL_S = 60.0
_Named = TypeVar("_Named", Entity, Metric)  # last-insert times are kept to the minute


class Names:
    """The names this process has written, and the disabled ones (see the module doc)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Names written since ``_round_started``: a later batch skips them with one C-level
        # set difference. Every TOUCH_INTERVAL_S the sets restart, so each name seen in a
        # round is written once per round (last-insert times are kept to the minute).
        self._touched_entities: set[str] = set()
        self._touched_metrics: set[str] = set()
        self._touched_pairs: set[tuple[str, str]] = set()
        self._round_started = -TOUCH_INTERVAL_S
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
        pairs = {(event.entity, event.metric) for event in events if event.kind == SERIES}
        with self._lock:
            if now - self._round_started >= TOUCH_INTERVAL_S:
                self._round_started = now
                self._touched_entities = set()
                self._touched_metrics = set()
                self._touched_pairs = set()
            due_entities = list(entities - self._touched_entities)
            due_metrics = list(metrics - self._touched_metrics)
            due_pairs = list(pairs - self._touched_pairs)
            self._touched_entities.update(due_entities)
            self._touched_metrics.update(due_metrics)
            self._touched_pairs.update(due_pairs)
            refresh = now - self._disabled_read_at >= TOUCH_INTERVAL_S
            if refresh:
                self._disabled_read_at = now
        if due_entities or due_metrics or due_pairs:
            try:
                self._touch(Entity, due_entities)
                self._touch(Metric, due_metrics)
                self._touch_pairs(due_pairs)
            except Exception:
                with self._lock:  # not written: the retried hand-off must write them
                    self._touched_entities.difference_update(due_entities)
                    self._touched_metrics.difference_update(due_metrics)
                    self._touched_pairs.difference_update(due_pairs)
                raise
        if refresh:
            self._read_disabled()
        disabled_e, disabled_m = self._disabled_entities, self._disabled_metrics
        if not disabled_e and not disabled_m:
            return list(events)
        return [e for e in events if e.entity not in disabled_e and e.metric not in disabled_m]

    def forget(self) -> None:
        """Drop the cache (tests, or after an administrator enables/disables names)."""
        with self._lock:
            self._touched_entities = set()
            self._touched_metrics = set()
            self._touched_pairs = set()
            self._disabled_read_at = 0.0

    @staticmethod
    def _touch(model: type[_Named], names: list[str]) -> None:
        if not names:
            return
        stamp = datetime.now(tz=UTC)
        with transaction.atomic():
            model.objects.bulk_create(
                [model(name=name, last_insert=stamp) for name in names], ignore_conflicts=True
            )
            model.objects.filter(name__in=names).update(last_insert=stamp)

    @staticmethod
    def _touch_pairs(pairs: list[tuple[str, str]]) -> None:
        """Which entity sent which metric, and when last (``getEntityCount()``)."""
        if not pairs:
            return
        stamp = datetime.now(tz=UTC)
        EntityMetric.objects.bulk_create(
            [EntityMetric(entity=e, metric=m, last_insert=stamp) for e, m in pairs],
            update_conflicts=True,
            unique_fields=["entity", "metric"],
            update_fields=["last_insert"],
        )

    def _read_disabled(self) -> None:
        self._disabled_entities = frozenset(
            Entity.objects.filter(enabled=False).values_list("name", flat=True)
        )
        self._disabled_metrics = frozenset(
            Metric.objects.filter(enabled=False).values_list("name", flat=True)
        )


names = Names()
