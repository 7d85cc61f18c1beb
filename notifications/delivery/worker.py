"""The notify worker's logic: send the deliveries of one order key, oldest first.

Each delivery goes through the stages of one send: claim, then lookup → render →
send (:func:`send_delivery`), then record.

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

A send the rate budget holds back may fold the endpoint's waiting deliveries into a
storm digest (:mod:`notifications.delivery.digest`); a FOLDED delivery heads its
key until its digest has been sent, and the digest's end ends it too. ``wake`` is
how the caller schedules another key (the digest's, its members').
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from notifications.delivery import claims, digest, policy
from notifications.delivery.journal import ClaimLost, Journal
from notifications.delivery.lookup import lookup
from notifications.delivery.mail import send_email_delivery
from notifications.delivery.outcome import RETRY, SendOutcome
from notifications.delivery.record import give_up, record_outcome, release
from notifications.delivery.render import render
from notifications.delivery.send import send
from notifications.models import Channel, Delivery, DeliveryStatus

log = logging.getLogger(__name__)

# A FOLDED delivery is unfinished: it heads its key until its digest is sent.
ACTIVE = digest.UNFINISHED
WAITING = (DeliveryStatus.SENDING, DeliveryStatus.FOLDED)  # a head not this task's to send
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


def send_delivery(delivery: Delivery, worker: str) -> SendOutcome:
    """One attempt at a delivery claimed by ``worker``: lookup → render → send (an
    email delivery through :func:`notifications.delivery.mail.send_email_delivery`).

    Never raises for a send problem (see :func:`notifications.delivery.send.send`);
    raises :class:`~notifications.delivery.journal.ClaimLost` when the delivery was
    taken back from ``worker`` meanwhile.
    """
    if delivery.channel == Channel.EMAIL:
        return send_email_delivery(delivery, worker)
    if digest.is_digest(delivery):
        composed = digest.compose(delivery)
        if isinstance(composed, SendOutcome):
            return composed
        job, message = composed
        kind, log_response = job.endpoint.kind, job.endpoint.log_response
        return send(job, message, Journal(delivery, kind, worker, log_response=log_response))
    found = lookup(delivery)
    if isinstance(found, SendOutcome):
        return found
    kind, log_response = found.endpoint.kind, found.endpoint.log_response
    journal = Journal(delivery, kind, worker, log_response=log_response)
    rendered = render(found, journal)
    if isinstance(rendered, SendOutcome):
        return rendered
    return send(found, rendered, journal)


Wake = Callable[[str, float], None]


def _no_wake(order_key: str, delay: float) -> None:
    """Without a scheduler the sweep finds the key when it is due."""


def process_order_key(order_key: str, *, batch: int = BATCH, wake: Wake = _no_wake) -> float | None:
    """Send due deliveries of ``order_key`` oldest first, until one must wait.

    Returns when to run again for this key: seconds (a retry was scheduled, or the
    batch is used up: 0) or None (nothing to do, or another task owns the head, or
    the head's retry is already scheduled by the task that set it, or the head waits
    for its storm digest). ``wake(key, seconds)`` schedules other keys this made due.
    """
    worker = claims.worker_id()
    for _ in range(batch):
        now = timezone.now()
        head = head_of(order_key)
        if head is None or head.status in WAITING:
            return None
        if head.next_attempt_at is not None and head.next_attempt_at > now:
            wait = (head.next_attempt_at - now).total_seconds()
            return wait if wait <= EARLY_WAKE_S else None
        if now >= head.deadline:
            _give_up(head, "given up: deadline passed before it could be sent", now, wake)
            continue
        cap = policy.max_attempts()
        if cap is not None and head.attempts >= cap:
            _give_up(head, f"given up after {head.attempts} attempts", now, wake)
            continue
        try:
            with claims.working_on(head.pk):
                delay = _claim_and_send(head, worker, now, wake)
        except KeyTaken:
            return None  # another task has the head and carries on with the key
        if delay is not None:
            return delay
    return 0.0


def _give_up(head: Delivery, reason: str, now: datetime, wake: Wake) -> None:
    """Give ``head`` up; a digest's members end with it."""
    with transaction.atomic():
        give_up(head, reason, now)
        members = digest.settle(head) if digest.is_digest(head) else []
    for key in members:
        wake(key, 0.0)


class KeyTaken(Exception):
    """Another task claimed the head of the key, or took it back from this worker."""


def _claim_and_send(head: Delivery, worker: str, now: datetime, wake: Wake) -> float | None:
    """Claim ``head`` and send it; seconds until it is due again, or None when it is
    finished or folded into a digest. Raises :class:`KeyTaken` when another task has
    it."""
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
    if digest.is_digest(head):
        with transaction.atomic():  # a digest and its members end together
            delay = record_outcome(head, outcome, timezone.now(), worker)
            members = digest.settle(head) if delay is None else []
        for key in members:
            wake(key, 0.0)
        return delay
    delay = record_outcome(head, outcome, timezone.now(), worker)
    if outcome.held and delay is not None:
        folded = digest.fold(head, delay, timezone.now())
        if folded is not None:
            wake(*folded)
            head.refresh_from_db(fields=["status"])
            if head.status == DeliveryStatus.FOLDED:
                return None
    return delay


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
        if release(pk, worker, next_attempt_at=None):
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

    Claims of dead workers are taken back (:func:`release_dead_claims`); members of
    digests that ended without them are ended (a crash in between); every key
    with a due PENDING row is returned (its task may have been lost with a worker
    or a broker restart).
    """
    now = now or timezone.now()
    released = release_dead_claims(now) + digest.settle_finished()
    due = Delivery.objects.filter(status=DeliveryStatus.PENDING).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    return sorted(set(due.values_list("order_key", flat=True)) | set(released))
