"""The Notification Log of one claimed delivery: a row before a request leaves, its
outcome right after the answer.

The transport calls :meth:`Journal.before_send` with the request's footprint just
before the request leaves; it writes the request's row as SENDING with the
footprint's digest — in one transaction with a check that the delivery is still
claimed by this worker whenever the claim is old enough to have been taken back
(a worker whose claim was taken back stops there, before sending anything
again). The answer updates that row — conditional on its still being SENDING —
before anything else happens. A worker that dies in between leaves a SENDING
row, which the next claimant resolves (:mod:`notifications.delivery.recovery`)
instead of sending blindly again.
"""

from __future__ import annotations

import contextlib
import logging

from django.db import transaction
from django.utils import timezone

from notifications.channels.base import Footprint, Sent, TransportError
from notifications.delivery import policy
from notifications.models import AttemptStatus, Delivery, DeliveryAttempt, DeliveryStatus

log = logging.getLogger(__name__)


class ClaimLost(Exception):
    """The delivery was taken back from this worker: it must not send or record more."""


class Journal:
    """Log rows of one delivery's requests, written by the worker that claims it."""

    def __init__(
        self, delivery: Delivery, endpoint_kind: str, worker: str, *, log_response: bool = False
    ) -> None:
        self.delivery = delivery
        self.endpoint_kind = endpoint_kind.lower()
        self.worker = worker
        self.log_response = log_response
        self.request = ""
        self.attempt: DeliveryAttempt | None = None
        # When this worker last proved the claim its own (the claim itself, at first).
        self.held_since = delivery.claimed_at if delivery.claimed_by == worker else None

    def expect(self, request: str) -> None:
        """The next request to leave is ``request`` (its log name)."""
        self.request = request
        self.attempt = None

    def before_send(self, footprint: Footprint) -> None:
        """The transport's hook: write the request's SENDING row, or raise ClaimLost.

        The sweep takes back no claim younger than a heartbeat's lifetime, so within
        half of it since the claim was last proved, the row is written without asking.
        """
        now = timezone.now()
        prove = self.held_since is None or now - self.held_since >= policy.heartbeat_ttl() / 2
        with transaction.atomic() if prove else contextlib.nullcontext():
            if prove:
                held = Delivery.objects.filter(
                    pk=self.delivery.pk, status=DeliveryStatus.SENDING, claimed_by=self.worker
                ).update(claimed_at=now)
                if not held:
                    raise ClaimLost(f"notification {self.delivery.pk} is no longer claimed by us")
                self.held_since = now
            digest = footprint.digest()
            self.attempt = self._create(
                AttemptStatus.SENDING, request=self.request, time=now, fingerprint=digest
            )

    def answered(self, sent: Sent) -> None:
        """Record a 2xx answer on the request's row."""
        self._outcome(
            status=AttemptStatus.OK,
            response_code=sent.status,
            latency_ms=sent.elapsed_ms,
            response_text=sent.response_text if self.log_response else "",
            message_id=sent.message_id,
        )

    def failed(self, exc: TransportError) -> DeliveryAttempt:
        """Record a failed request. A request that may have reached the service (no
        answer, but it left) stays SENDING: whether it arrived is decided later."""
        if exc.permanent:
            status = AttemptStatus.ERROR
        elif exc.status is None and exc.maybe_delivered and self.attempt is not None:
            status = AttemptStatus.SENDING
        else:
            status = AttemptStatus.RETRY
        return self._outcome(
            status=status,
            response_code=exc.status or 0,
            latency_ms=exc.elapsed_ms or None,
            error=exc.message,
            response_text=exc.response_text,
        )

    def note(self, status: str, error: str, request: str) -> DeliveryAttempt:
        """A row for a request that never left (cancelled, misconfigured)."""
        return self._create(status, request=request, time=timezone.now(), error=error)

    def earlier_requests(self) -> list[DeliveryAttempt]:
        """Rows of earlier claims that matter to this one, oldest first: requests that
        got their 2xx (not sent again) and requests that left without a recorded
        answer (SENDING: looked for before anything is sent)."""
        if self.delivery.attempts <= 1:
            return []  # the first claim: nothing was sent before
        rows = DeliveryAttempt.objects.filter(
            delivery=self.delivery, status__in=(AttemptStatus.OK, AttemptStatus.SENDING)
        ).order_by("id")
        return list(rows)

    def settle(
        self, attempt: DeliveryAttempt, status: str, error: str, message_id: str = ""
    ) -> bool:
        """Give an unanswered row its outcome; False when its own worker did first."""
        updated = DeliveryAttempt.objects.filter(
            pk=attempt.pk, status=AttemptStatus.SENDING
        ).update(status=status, error=error[:4000], message_id=message_id[:64])
        if updated:
            attempt.status, attempt.error, attempt.message_id = status, error, message_id
        return bool(updated)

    def _outcome(self, **fields: object) -> DeliveryAttempt:
        attempt = self.attempt
        if attempt is None:  # the request failed before it could leave
            status = str(fields.pop("status"))
            return self._create(status, request=self.request, time=timezone.now(), **fields)
        updated = DeliveryAttempt.objects.filter(
            pk=attempt.pk, status=AttemptStatus.SENDING
        ).update(**fields)
        if not updated:
            log.warning(
                "notification %s: the row of request %s was settled by another worker",
                self.delivery.pk,
                self.request,
            )
        for name, value in fields.items():
            setattr(attempt, name, value)
        return attempt

    def _create(self, status: str, *, request: str, **fields: object) -> DeliveryAttempt:
        return DeliveryAttempt.objects.create(
            delivery=self.delivery,
            attempt=self.delivery.attempts,
            request=request[:32],
            endpoint_kind=self.endpoint_kind,
            status=status,
            **fields,
        )
