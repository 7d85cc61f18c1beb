"""The one entry point through which accepted events leave ingestion for the engine.

Events are grouped by partition and sent as batches (one Celery message carries
up to ``INGEST_BATCH_SIZE`` events). ``submit`` publishes synchronously: when it
returns, every event is in the broker, so an API may answer success.
"""

import uuid
import zlib
from collections.abc import Iterable

from django.conf import settings

from rules.ingest.events import Event


def partition_of(event: Event, partitions: int) -> int:
    """Stable across processes and restarts (crc32, not Python's salted hash)."""
    return zlib.crc32(event.entity.encode("utf-8")) % partitions


def engine_queue(partition: int) -> str:
    return f"engine.{partition}"


def submit(events: Iterable[Event]) -> int:
    """Publish ``events`` to the engine partitions; returns the number of batches sent."""
    from rules.tasks import apply_batch  # the task module imports Django models

    partitions = settings.ENGINE_PARTITIONS
    batch_size = settings.INGEST_BATCH_SIZE
    by_partition: dict[int, list[list]] = {}
    for event in events:
        by_partition.setdefault(partition_of(event, partitions), []).append(event.to_wire())
    sent = 0
    for partition, rows in sorted(by_partition.items()):
        for start in range(0, len(rows), batch_size):
            apply_batch.apply_async(
                args=[uuid.uuid4().hex, partition, rows[start : start + batch_size]],
                queue=engine_queue(partition),
            )
            sent += 1
    return sent
