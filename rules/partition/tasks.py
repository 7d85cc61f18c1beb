"""Celery tasks of the engine partitions: thin wrappers around the partition worker.

Partition ``N`` is served by the queue ``engine.N`` (one consumer, so that its windows
have one owner). Task names are part of the broker's messages and of beat's schedule:
they stay as they are.
"""

from __future__ import annotations

from celery import shared_task

from rules.partition import inbox
from rules.partition.worker import get_partition


def engine_queue(partition: int) -> str:
    """The Celery queue of ``partition``."""
    return f"engine.{partition}"


@shared_task(name="rules.wake_partition", ignore_result=True)
def wake_partition(partition: int) -> int:
    """Apply what waits in the partition's inbox (see rules.partition.journal).

    Safe to lose or repeat: the inbox, not this message, holds the batches.
    """
    inbox.take_wake(partition)
    return get_partition(partition).pump()


@shared_task(name="rules.tick_partition", ignore_result=True, expires=5)
def tick_partition(partition: int) -> int:
    """Inbox, Check On Exit expiry, due delayed OPENs, checkpoints, window summaries."""
    return get_partition(partition).tick()
