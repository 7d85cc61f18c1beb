"""Who is told about stored triggers: the rules app publishes, other apps subscribe.

The alert store calls ``publish_triggers`` with the event ids of the ``TriggerRecord``
rows it wrote, inside the transaction that writes them: what a consumer records commits
with the trigger records or not at all, and work that must see committed rows (a task
to enqueue) goes through ``transaction.on_commit``. The notifications app registers its
consumer when it is ready, so rules never imports it. A consumer runs in the engine
worker that stored the triggers: it must be quick (record work, send nothing).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

TriggerConsumer = Callable[[Sequence[str]], None]

_consumers: list[TriggerConsumer] = []


def register_trigger_consumer(consumer: TriggerConsumer) -> None:
    """Call ``consumer(event_ids)`` for every batch of new trigger records, in its transaction.

    Registering the same consumer again changes nothing (``AppConfig.ready`` may run
    more than once in tests).
    """
    if consumer not in _consumers:
        _consumers.append(consumer)


def publish_triggers(event_ids: Sequence[str]) -> None:
    """Hand ``event_ids`` to every registered consumer, in registration order."""
    if not event_ids:
        return
    ids = list(event_ids)
    for consumer in _consumers:
        consumer(ids)
