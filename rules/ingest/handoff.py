"""The one entry point through which accepted events leave ingestion for the engine.

Events are routed to the partitions owning their windows (rules.runtime.routing) and
appended as batches of up to ``INGEST_BATCH_SIZE`` events to each partition's inbox
(rules.runtime.inbox); a Celery message on the partition queue wakes its worker.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING

import orjson
from django.conf import settings

from rules.events import Event
from rules.faults import describe

if TYPE_CHECKING:
    from rules.runtime.routing import RouteTable

log = logging.getLogger(__name__)

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
    """Append ``events`` to the inboxes of the partitions owning their windows, then wake
    those partitions; returns the number of batches. When it returns, every event is
    in Redis, so an API may answer success. The batches are appended in one
    transaction: when it fails, none of them is in Redis."""
    from rules.runtime import inbox
    from rules.tasks import wake_partition  # the task module imports Django models

    batch_size = settings.INGEST_BATCH_SIZE
    batches = []
    for partition, rows in sorted(route_table().route(events).items()):
        for start in range(0, len(rows), batch_size):
            payload = orjson.dumps(rows[start : start + batch_size])
            batches.append((partition, payload))
    for partition in sorted(set(inbox.append(batches))):
        try:
            wake_partition.apply_async(args=[partition], queue=engine_queue(partition))
        except Exception as exc:
            # The batches are in the inbox, so the hand-off has succeeded: the
            # partition's next tick applies them once the broker is back.
            log.warning("partition %d not woken: %s", partition, describe(exc))
    return len(batches)
