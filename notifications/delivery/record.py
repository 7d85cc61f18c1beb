"""Record, the last stage: a :class:`SendOutcome` → the claimed delivery row.

Every write is conditional on this worker still holding the claim. A final outcome
finishes the row; a RETRY puts it back to PENDING with its retry time: the back-off
after failures (:mod:`notifications.delivery.policy`), or the server's rate-limit
reset when later, never past the last call before the deadline. At the deadline, or
at the optional attempt cap, the delivery is given up, and requests that never got
an answer say what that means.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from atsd_alerts.metrics.tally import DELIVERIES_FINISHED, DELIVERY_LATENCY, STAGE_LATENCY, Tally
from notifications.delivery import policy
from notifications.delivery.outcome import RETRY, SendOutcome
from notifications.models import (
    AttemptStatus,
    Channel,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Endpoint,
)

log = logging.getLogger(__name__)

# Rows whose answer never came count as failures for the back-off, 429s do not.
FAILED_TRIES = (AttemptStatus.RETRY, AttemptStatus.SENDING, AttemptStatus.UNKNOWN)
GIVEN_UP_UNANSWERED = "no answer recorded; the notification was given up: it may not have arrived"


def finish(
    delivery: Delivery, status: str, error: str, now: datetime, worker: str, **extra: object
) -> None:
    """A final ``status`` on the delivery ``worker`` holds. ``now`` is taken after the
    answer, so ``finished`` of a DELIVERED row is when its message was sent."""
    updated = Delivery.objects.filter(
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
    if updated:
        _count_finished(delivery, status, now)


def _endpoint_kind(name: str) -> str:
    kind = Endpoint.objects.filter(name=name).values_list("kind", flat=True).first()
    return (kind or "unknown").lower()


def _count_finished(delivery: Delivery, status: str, now: datetime) -> None:
    """Into /metrics: the delivery by channel kind and outcome; a sent one's latency
    from its row written (with the trigger record: the ``stored`` stage) to sent."""
    if delivery.channel == Channel.EMAIL:
        channel = "email"
    else:
        channel = _endpoint_kind(delivery.endpoint_name)
    tally = Tally().count(DELIVERIES_FINISHED, channel=channel, status=status.lower())
    if status == DeliveryStatus.DELIVERED:
        ms = (now - delivery.created).total_seconds() * 1000
        tally.observe_ms(DELIVERY_LATENCY, ms, channel=channel)
        tally.observe_ms(STAGE_LATENCY, ms, stage="sent")
    tally.write()


def release(pk: int, worker: str, **fields: object) -> bool:
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


def _retry_delay_s(delivery: Delivery, outcome: SendOutcome) -> float:
    if not outcome.failure:
        return outcome.retry_after_s or 0.0
    # The back-off grows with failures, not with 429s: a rate-limit answer is the
    # server pacing us and says when to come back; escalating would overshoot it.
    failures = (
        DeliveryAttempt.objects.filter(delivery=delivery, status__in=FAILED_TRIES)
        .exclude(response_code=429)
        .count()
    )
    return policy.retry_delay_s(max(1, failures), outcome.retry_after_s)


def _give_up_reason(delivery: Delivery, outcome: SendOutcome, now: datetime) -> str | None:
    tries = f"{delivery.attempts} attempt{'s' if delivery.attempts != 1 else ''}"
    cap = policy.max_attempts()
    if cap is not None and outcome.failure and delivery.attempts >= cap:
        return f"given up after {tries}: {outcome.error}"
    if now >= delivery.deadline - policy.LAST_CALL:
        return f"given up at its deadline after {tries}: {outcome.error}"
    return None


def record_outcome(
    delivery: Delivery, outcome: SendOutcome, now: datetime, worker: str
) -> float | None:
    """Store ``outcome`` on the claimed ``delivery``; seconds until its retry, or None."""
    extra = {"message_preview": outcome.preview} if outcome.preview else {}
    if outcome.status != RETRY:
        finish(delivery, outcome.status, outcome.error, now, worker, **extra)
        return None
    reason = _give_up_reason(delivery, outcome, now)
    if reason is not None:
        if outcome.failed_attempt is not None:
            DeliveryAttempt.objects.filter(
                pk=outcome.failed_attempt.pk, status=AttemptStatus.RETRY
            ).update(status=AttemptStatus.ERROR)
        finish(delivery, DeliveryStatus.FAILED, reason, now, worker, **extra)
        _close_unanswered(delivery)
        log.error("notification %s for rule %s %s", delivery.pk, delivery.rule_name, reason)
        return None
    # Neither back-off nor a rate-limit reset skips the deadline: the last try comes
    # just before it.
    delay = _retry_delay_s(delivery, outcome)
    retry_at = min(now + timedelta(seconds=delay), delivery.deadline - policy.LAST_CALL)
    release(delivery.pk, worker, next_attempt_at=retry_at, last_error=outcome.error[:4000], **extra)
    return (retry_at - now).total_seconds()
