"""The one entry point through which accepted events leave ingestion for the engine.

Events are routed to the partitions owning their windows (rules.runtime.routing) and
sent as batches (one Celery message carries up to ``INGEST_BATCH_SIZE`` events).
``submit`` publishes synchronously: when it returns, every event is in the broker, so
an API may answer success.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings

from rules.ingest.events import Event

if TYPE_CHECKING:
    from rules.runtime.routing import RouteTable

_table_lock = threading.Lock()
_table: RouteTable | None = None


def engine_queue(partition: int) -> str:
    return f"engine.{partition}"


def route_table() -> RouteTable:
    """The process's route table, created on first use (routing imports the ORM)."""
    global _table
    if _table is None:
        with _table_lock:
            if _table is None:
                from rules.runtime.routing import RouteTable

                _table = RouteTable(settings.ENGINE_PARTITIONS)
    return _table


def submit(events: Iterable[Event]) -> int:
    """Publish ``events`` to the engine partitions; returns the number of batches sent."""
    from rules.tasks import apply_batch  # the task module imports Django models

    batch_size = settings.INGEST_BATCH_SIZE
    sent = 0
    for partition, rows in sorted(route_table().route(events).items()):
        for start in range(0, len(rows), batch_size):
            # Rows travel as one JSON text: the engine journals it without re-encoding.
            payload = json.dumps(rows[start : start + batch_size], separators=(",", ":"))
            apply_batch.apply_async(
                args=[uuid.uuid4().hex, partition, payload], queue=engine_queue(partition)
            )
            sent += 1
    return sent
