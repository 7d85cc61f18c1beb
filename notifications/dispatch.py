"""The one entry point through which the rules app hands trigger events to notifications.

Called inside the alert store's transaction, with the ids of the new
``TriggerRecord`` rows (in the engine worker, so it must be quick): it writes one
PENDING delivery row per fired web-notification binding, committed with the trigger
records or not at all, and enqueues one notify task per order key once they are
committed. Sending happens in the notify workers (``notifications.tasks``).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from notifications.delivery import create_deliveries
from notifications.tasks import enqueue


def dispatch_triggers(event_ids: Sequence[str]) -> None:
    """Persist deliveries for ``event_ids`` and enqueue their order keys after commit.

    Idempotent: calling it again with the same ids creates no second delivery (the
    extra notify tasks find nothing to claim).
    """
    if not event_ids:
        return
    with transaction.atomic():
        keys = create_deliveries(event_ids)
        if keys:
            # Enqueue only what is committed: a task must find its rows (conventions).
            def enqueue_keys() -> None:
                for key in sorted(keys):
                    enqueue(key, instant=keys[key])

            transaction.on_commit(enqueue_keys)
