"""The notify worker's logic: send the deliveries of one order key, oldest first.

An order key is one (rule, window, endpoint). Its rows go out strictly in
``sequence`` order (design invariant 3): the oldest unfinished row is the head;
younger rows wait while the head is being sent or waits for its retry time.
Claiming is an atomic ``filter(status=PENDING).update(status=SENDING)`` under this
process's worker id — zero rows updated means another task has it — so duplicate
tasks for a key are harmless, and every later write is conditional on the claim.

A notification is retried (network errors, 5xx, 429) with capped back-off until
its deadline; an attempt cap applies only when ``NOTIFY_MAX_ATTEMPTS`` sets one.

:func:`sweep` takes back, within seconds, the claims of workers whose heartbeat
stopped (:mod:`notifications.delivery.claims`); the request such a worker had in
flight is looked for in the room before anything is sent again
(:mod:`notifications.delivery.recovery`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db.models import F, Q
from django.utils import timezone

from notifications.delivery import claims, policy
from notifications.delivery.journal import ClaimLost
from notifications.delivery.sending import RETRY, SendOutcome, send_delivery
from notifications.models import AttemptStatus, Delivery, DeliveryAttempt, DeliveryStatus

log = logging.getLogger(__name__)

ACTIVE = (DeliveryStatus.PENDING, DeliveryStatus.SENDING)
# Deliveries one task sends before handing the key back to the queue, so one busy
# window cannot hold a notify worker while other keys wait.
BATCH = 50
# A retry task may wake up a little early; waiting that out beats losing the wake-up.
EARLY_WAKE_S = 1.0
# Rows whose answer never came count as failures for the back-off, 429s do not.
FAILED_TRIES = (AttemptStatus.RETRY, AttemptStatus.SENDING, AttemptStatus.UNKNOWN)
GIVEN_UP_UNANSWERED = "no answer recorded; the notification was given up: it may not have arrived"


def head_of(order_key: str) -> Delivery | None:
    """The oldest unfinished delivery of ``order_key``."""
    return (
        Delivery.objects.filter(order_key=order_key, status__in=ACTIVE)
        .order_by("sequence", "id")
        .first()
    )


def _finish(
    delivery: Delivery, status: str, error: str, now: datetime, worker: str, **extra: object
) -> None:
    Delivery.objects.filter(
        pk=delivery.pk, status=DeliveryStatus.SENDING, claimed_by=worker
    ).update(
        status=status,
        finished=now,
        next_attempt_at=None,
        claimed_by="",
        claimed_at=None,
        last_error=error[:4000],
        **extra,
    )


def _release(pk: int, worker: str, **fields: object) -> bool:
    """PENDING again, unclaimed: conditional on ``worker`` still holding the claim."""
    released = Delivery.objects.filter(
        pk=pk, status=DeliveryStatus.SENDING, claimed_by=worker
    ).update(status=DeliveryStatus.PENDING, claimed_by="", claimed_at=None, **fields)
    return bool(released)


def _close_unanswered(delivery: Delivery) -> None:
    """A given-up delivery's requests that never got an answer: say what that means."""
    DeliveryAttempt.objects.filter(delivery=delivery, status=AttemptStatus.SENDING).update(
        status=AttemptStatus.UNKNOWN, error=GIVEN_UP_UNANSWERED
    )


def give_up(delivery: Delivery, reason: str, now: datetime) -> None:
    """Mark an unfinished delivery FAILED without sending (deadline or attempts spent)."""
    updated = Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.FAILED, finished=now, next_attempt_at=None, last_error=reason
    )
    if updated:
        _close_unanswered(delivery)
        log.error("notification %s for rule %s %s", delivery.pk, delivery.rule_name, reason)


def record_outcome(
    delivery: Delivery, outcome: SendOutcome, now: datetime, worker: str
) -> float | None:
    """Store ``outcome`` on the claimed ``delivery``; seconds until its retry, or None."""
    extra = {"message_preview": outcome.preview} if outcome.preview else {}
    if outcome.status != RETRY:
        _finish(delivery, outcome.status, outcome.error, now, worker, **extra)
        return None
    if outcome.failure:
        # The back-off grows with failures, not with 429s: a rate-limit answer is the
        # server pacing us and says when to come back; escalating would overshoot it.
        failures = (
            DeliveryAttempt.objects.filter(delivery=delivery, status__in=FAILED_TRIES)
            .exclude(response_code=429)
            .count()
        )
        delay = policy.retry_delay_s(max(1, failures), outcome.retry_after_s)
    else:
        delay = outcome.retry_after_s or 0.0
    tries = f"{delivery.attempts} attempt{'s' if delivery.attempts != 1 else ''}"
    cap = policy.max_attempts()
    last_call = delivery.deadline - policy.LAST_CALL
    reason = None
    if cap is not None and outcome.failure and delivery.attempts >= cap:
        reason = f"given up after {tries}: {outcome.error}"
    elif now >= last_call:
        reason = f"given up at its deadline after {tries}: {outcome.error}"
    else:
        # Neither back-off nor a rate-limit reset skips the deadline: the last try
        # comes just before it.
        retry_at = min(now + timedelta(seconds=delay), last_call)
        delay = (retry_at - now).total_seconds()
    if reason is not None:
        if outcome.failed_attempt is not None:
            DeliveryAttempt.objects.filter(
                pk=outcome.failed_attempt.pk, status=AttemptStatus.RETRY
            ).update(status=AttemptStatus.ERROR)
        _finish(delivery, DeliveryStatus.FAILED, reason, now, worker, **extra)
        _close_unanswered(delivery)
        log.error("notification %s for rule %s %s", delivery.pk, delivery.rule_name, reason)
        return None
    _release(
        delivery.pk, worker, next_attempt_at=retry_at, last_error=outcome.error[:4000], **extra
    )
    return delay


def process_order_key(order_key: str, *, batch: int = BATCH) -> float | None:
    """Send due deliveries of ``order_key`` oldest first, until one must wait.

    Returns when to run again for this key: seconds (a retry was scheduled, or the
    batch is used up: 0) or None (nothing to do, or another task owns the head, or
    the head's retry is already scheduled by the task that set it).
    """
    worker = claims.worker_id()
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
        cap = policy.max_attempts()
        if cap is not None and head.attempts >= cap:
            give_up(head, f"given up after {head.attempts} attempts", now)
            continue
        try:
            with claims.working_on(head.pk):
                delay = _claim_and_send(head, worker, now)
        except KeyTaken:
            return None  # another task has the head and carries on with the key
        if delay is not None:
            return delay
    return 0.0


class KeyTaken(Exception):
    """Another task claimed the head of the key, or took it back from this worker."""


def _claim_and_send(head: Delivery, worker: str, now: datetime) -> float | None:
    """Claim ``head`` and send it; seconds until it is due again, or None when it is
    finished. Raises :class:`KeyTaken` when another task has it."""
    claimed = Delivery.objects.filter(pk=head.pk, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.SENDING,
        attempts=F("attempts") + 1,
        claimed_by=worker,
        claimed_at=now,
        next_attempt_at=None,
    )
    if not claimed:
        raise KeyTaken
    head.refresh_from_db()
    try:
        outcome = send_delivery(head, worker)
    except ClaimLost:
        log.warning("notification %s was taken back from this worker", head.pk)
        raise KeyTaken from None
    except Exception as exc:  # a bug must not strand the row in SENDING
        log.exception("notification %s: unexpected error while sending", head.pk)
        outcome = SendOutcome(RETRY, error=f"internal error: {type(exc).__name__}: {exc}")
    return record_outcome(head, outcome, timezone.now(), worker)


def release_dead_claims(now: datetime) -> list[str]:
    """Take back SENDING rows no living worker works on; return their order keys.

    Only claims older than a heartbeat's lifetime are considered, and none while
    Redis itself has just restarted (every heartbeat key is gone then).
    """
    stale = list(
        Delivery.objects.filter(status=DeliveryStatus.SENDING)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - policy.heartbeat_ttl()))
        .values_list("pk", "claimed_by", "order_key")
    )
    if not stale or not claims.heartbeats_settled():
        return []
    busy = claims.working(worker for _, worker, _ in stale if worker)
    keys = []
    for pk, worker, key in stale:
        if pk in busy.get(worker, ()):
            continue
        if _release(pk, worker, next_attempt_at=None):
            state = "dropped it" if worker in busy else "stopped"
            log.warning(
                "notification %s: its worker %s %s while sending; claim taken back",
                pk,
                worker or "(unknown)",
                state,
            )
            keys.append(key)
    return keys


def sweep(now: datetime | None = None) -> list[str]:
    """Recover from lost tasks and dead workers; return order keys to process.

    Claims of dead workers are taken back (:func:`release_dead_claims`); every key
    with a due PENDING row is returned (its task may have been lost with a worker
    or a broker restart).
    """
    now = now or timezone.now()
    released = release_dead_claims(now)
    due = Delivery.objects.filter(status=DeliveryStatus.PENDING).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    return sorted(set(due.values_list("order_key", flat=True)) | set(released))
