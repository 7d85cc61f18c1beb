"""Celery tasks of the rules app: thin wrappers around plain functions."""

from celery import shared_task

from rules.ingest.events import Event
from rules.models import ReceivedBatch


@shared_task(name="rules.apply_batch", acks_late=True, reject_on_worker_lost=True)
def apply_batch(batch_id: str, partition: int, rows: list[list]) -> int:
    """Apply one batch of ingested events on its partition's worker.

    Until the running engine takes over this task, it records what arrived. The
    batch id makes a redelivered batch (worker killed before the ack) a no-op.
    """
    events = [Event.from_wire(row) for row in rows]
    times = [event.time_ms for event in events]
    _batch, created = ReceivedBatch.objects.get_or_create(
        batch_id=batch_id,
        defaults={
            "partition": partition,
            "events": len(events),
            "first_time_ms": min(times) if times else None,
            "last_time_ms": max(times) if times else None,
        },
    )
    return len(events) if created else 0
