"""The hand-off to the engine: accepted events into the inboxes of their partitions.

Events are routed to the partitions owning their windows (rules.routing.table) and
appended as batches of up to ``INGEST_BATCH_SIZE`` events to each partition's inbox
(rules.partition.inbox); a Celery message on the partition queue wakes its worker.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

import orjson
from django.conf import settings

from atsd_alerts import stage_timing
from rules.events import Event
from rules.faults import describe
from rules.partition import inbox
from rules.partition.tasks import engine_queue, wake_partition
from rules.routing.table import RouteTable

log = logging.getLogger(__name__)

_table_lock = threading.Lock()
_table: RouteTable | None = None


def route_table() -> RouteTable:
    """The process's route table, created on first use (``ENGINE_PARTITIONS`` is read then)."""
    global _table
    if _table is None:
        with _table_lock:
            if _table is None:
                _table = RouteTable(settings.ENGINE_PARTITIONS)
    return _table


def submit(events: Iterable[Event]) -> int:
    """Append ``events`` to the inboxes of the partitions owning their windows, then wake
    those partitions; returns the number of batches. When it returns, every event is
    in Redis, so an API may answer success. The batches are appended in one
    transaction: when it fails, none of them is in Redis."""
    started = stage_timing.start()
    batch_size = settings.INGEST_BATCH_SIZE
    batches = []
    routed = 0
    for partition, rows in sorted(route_table().route(events).items()):
        routed += len(rows)
        for start in range(0, len(rows), batch_size):
            payload = orjson.dumps(rows[start : start + batch_size])
            batches.append((partition, payload))
    stage_timing.stop("routing", started, routed)
    started = stage_timing.start()
    appended = inbox.append(batches)
    stage_timing.stop("inbox append", started, routed)
    started = stage_timing.start()
    for partition in sorted(set(appended)):
        try:
            wake_partition.apply_async(args=[partition], queue=engine_queue(partition))
        except Exception as exc:
            # The batches are in the inbox, so the hand-off has succeeded: the
            # partition's next tick applies them once the broker is back.
            log.warning("partition %d not woken: %s", partition, describe(exc))
    stage_timing.stop("wake-up", started, routed)
    return len(batches)
