"""Celery tasks of notification delivery: thin wrappers around notifications.delivery.

Every task runs on the ``notify`` queue. HTTP retries are not Celery retries: a
failed send is written back to its delivery row with its retry time (persisted,
honouring 429 resets) and the key's task is scheduled again with that countdown.
The decorator's retry policy only covers the database being briefly unavailable.
"""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError

from notifications.delivery import process_order_key
from notifications.delivery import sweep as find_due
from notifications.delivery.monitoring import NOTIFICATIONS_PER_MINUTE, previous_minute_sends
from rules.contract.series import record_self_metric

NOTIFY_QUEUE = "notify"
# Message priorities on the notify queue (the Redis transport serves 0 first): the
# notifications of instantAction rules go ahead of every other queued send (§3.6).
INSTANT_PRIORITY = 0
NORMAL_PRIORITY = 6


@shared_task(
    name="notifications.notify",
    queue=NOTIFY_QUEUE,
    ignore_result=True,
    # Safe to run twice: rows are claimed atomically, a duplicate finds nothing to claim.
    acks_late=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
    soft_time_limit=600,
    time_limit=660,
)
def notify(order_key: str) -> None:
    """Send the due deliveries of one order key (one rule window and endpoint), in order."""
    delay = process_order_key(order_key, wake=_wake)
    if delay is not None:
        enqueue(order_key, countdown=delay)


def _wake(order_key: str, countdown: float) -> None:
    """Schedule a key another one made due: a storm digest, or the windows its end
    released. Ahead of the queued sends, which are mostly tasks of a storm's folded
    windows that find nothing to do until the digest is sent."""
    enqueue(order_key, countdown=countdown, instant=True)


def enqueue(order_key: str, countdown: float = 0.0, *, instant: bool = False) -> None:
    """Schedule :func:`notify` for ``order_key`` after ``countdown`` seconds; ``instant``
    puts it ahead of the other queued sends."""
    # A little late rather than early: an early wake-up finds the row not yet due.
    countdown = countdown + 0.05 if countdown > 0 else 0
    notify.apply_async(
        (order_key,),
        countdown=countdown or None,
        queue=NOTIFY_QUEUE,
        priority=INSTANT_PRIORITY if instant else NORMAL_PRIORITY,
    )


@shared_task(name="notifications.sweep", queue=NOTIFY_QUEUE, ignore_result=True, expires=2)
def sweep() -> int:
    """Beat, every 2 s: take back claims of dead workers, re-enqueue keys with due rows."""
    keys = find_due()
    for key in keys:
        enqueue(key)
    return len(keys)


@shared_task(name="notifications.emit_metrics", queue=NOTIFY_QUEUE, ignore_result=True, expires=50)
def emit_metrics() -> None:
    """Beat, every minute: ``web_service_notifications_per_minute`` as a series (§7.1)."""
    record_self_metric(NOTIFICATIONS_PER_MINUTE, float(previous_minute_sends()))
