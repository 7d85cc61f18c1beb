"""The notify worker's logic: send the deliveries of one order key, oldest first.

An order key is one (rule, window, endpoint). Its rows go out strictly in
``sequence`` order (design invariant 3): the oldest unfinished row is the head;
younger rows wait while the head is being sent or waits for its retry time.
Claiming is an atomic ``filter(status=PENDING).update(status=SENDING)`` — zero rows
updated means another task has it — so duplicate tasks for a key are harmless.

While SENDING, ``next_attempt_at`` holds the end of the claim's lease: a row still
SENDING after it belonged to a worker that died, and :func:`sweep` makes it
PENDING again (it may then be sent twice: at least once beats at most once here).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db.models import F, Q
from django.utils import timezone

from notifications.delivery import policy
from notifications.delivery.sending import RETRY, SendOutcome, send_delivery
from notifications.delivery_model import Delivery, DeliveryAttempt, DeliveryStatus

log = logging.getLogger(__name__)

ACTIVE = (DeliveryStatus.PENDING, DeliveryStatus.SENDING)
# Deliveries one task sends before handing the key back to the queue, so one busy
# window cannot hold a notify worker while other keys wait.
BATCH = 50
# A retry task may wake up a little early; waiting that out beats losing the wake-up.
EARLY_WAKE_S = 1.0


def head_of(order_key: str) -> Delivery | None:
    """The oldest unfinished delivery of ``order_key``."""
    return (
        Delivery.objects.filter(order_key=order_key, status__in=ACTIVE)
        .order_by("sequence", "id")
        .first()
    )


def _finish(delivery: Delivery, status: str, error: str, now: datetime, **extra: object) -> None:
    Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING).update(
        status=status, finished=now, next_attempt_at=None, last_error=error[:4000], **extra
    )


def give_up(delivery: Delivery, reason: str, now: datetime) -> None:
    """Mark an unfinished delivery FAILED without sending (attempts or deadline spent)."""
    updated = Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.FAILED, finished=now, next_attempt_at=None, last_error=reason
    )
    if updated:
        log.error("notification %s for rule %s %s", delivery.pk, delivery.rule_name, reason)


def record_outcome(delivery: Delivery, outcome: SendOutcome, now: datetime) -> float | None:
    """Store ``outcome`` on the claimed ``delivery``; seconds until its retry, or None."""
    extra = {"message_preview": outcome.preview} if outcome.preview else {}
    if outcome.status != RETRY:
        _finish(delivery, outcome.status, outcome.error, now, **extra)
        return None
    # The back-off grows with failures, not with 429s: a rate-limit answer is the server
    # pacing us and says when to come back; escalating on it would overshoot its reset.
    failures = (
        DeliveryAttempt.objects.filter(delivery=delivery, status="RETRY")
        .exclude(response_code=429)
        .count()
    )
    delay = policy.retry_delay_s(max(1, failures), outcome.retry_after_s)
    retry_at = now + timedelta(seconds=delay)
    if delivery.attempts >= policy.max_attempts() or retry_at > delivery.deadline:
        reason = (
            f"given up after {delivery.attempts} attempt{'s' if delivery.attempts != 1 else ''}: "
            f"{outcome.error}"
        )
        if outcome.failed_attempt is not None:
            DeliveryAttempt.objects.filter(pk=outcome.failed_attempt.pk).update(status="ERROR")
        _finish(delivery, DeliveryStatus.FAILED, reason, now, **extra)
        log.error("notification %s for rule %s %s", delivery.pk, delivery.rule_name, reason)
        return None
    Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING).update(
        status=DeliveryStatus.PENDING,
        next_attempt_at=retry_at,
        last_error=outcome.error[:4000],
        **extra,
    )
    return delay


def process_order_key(order_key: str, *, batch: int = BATCH) -> float | None:
    """Send due deliveries of ``order_key`` oldest first, until one must wait.

    Returns when to run again for this key: seconds (a retry was scheduled, or the
    batch is used up: 0) or None (nothing to do, or another task owns the head, or
    the head's retry is already scheduled by the task that set it).
    """
    for _ in range(batch):
        now = timezone.now()
        head = head_of(order_key)
        if head is None or head.status == DeliveryStatus.SENDING:
            return None
        if head.next_attempt_at is not None and head.next_attempt_at > now:
            wait = (head.next_attempt_at - now).total_seconds()
            return wait if wait <= EARLY_WAKE_S else None
        if now >= head.deadline:
            give_up(head, "given up: deadline passed before it could be sent", now)
            continue
        if head.attempts >= policy.max_attempts():
            give_up(head, f"given up after {head.attempts} attempts", now)
            continue
        claimed = Delivery.objects.filter(pk=head.pk, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.SENDING,
            attempts=F("attempts") + 1,
            next_attempt_at=now + policy.LEASE,
        )
        if not claimed:
            return None  # another task claimed it and carries on with the key
        head.refresh_from_db()
        try:
            outcome = send_delivery(head)
        except Exception as exc:  # a bug must not strand the row in SENDING until the lease
            log.exception("notification %s: unexpected error while sending", head.pk)
            outcome = SendOutcome(RETRY, error=f"internal error: {type(exc).__name__}: {exc}")
        delay = record_outcome(head, outcome, timezone.now())
        if delay is not None:
            return delay
    return 0.0


def sweep(now: datetime | None = None) -> list[str]:
    """Recover from lost tasks and crashed workers; return order keys to process.

    SENDING rows whose lease ended become PENDING; every key with a due PENDING row
    is returned (its task may have been lost with a worker or a broker restart).
    """
    now = now or timezone.now()
    lost = Delivery.objects.filter(status=DeliveryStatus.SENDING, next_attempt_at__lt=now).update(
        status=DeliveryStatus.PENDING, next_attempt_at=None
    )
    if lost:
        log.warning("%d notification(s) were claimed by a worker that did not finish", lost)
    due = Delivery.objects.filter(status=DeliveryStatus.PENDING).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    return sorted(set(due.values_list("order_key", flat=True)))
