"""Requests whose answer was lost: did they reach the room?

A SENDING row in the Notification Log when a delivery is claimed is a request
that left without a recorded answer: its worker died, or the connection broke
after the request went out. Sending it again blindly would put it in the room
twice whenever the service had acted on it, so the room's history is asked
first (HipChat: its recent history, scope ``view_messages``):

* **found** → it arrived: the row becomes OK, with the message's id, and the
  request is not sent again;
* **not found, and the service can no longer be handling it** (the client's
  timeouts plus a margin have passed since it left) → it did not arrive: the
  row becomes RETRY and the request is sent again;
* **not found yet, but it could still land** → the delivery waits until that
  moment and asks again (at most the endpoint's timeouts, 30 s by default);
* **the service cannot be asked** (no history method, no ``view_messages``
  scope, more than a page of messages since) → at least once: the row becomes
  UNKNOWN, saying the message may show twice, and the request is sent again.
  A lost alert is worse than a repeated one.

"Found" counts, not just matches: the room may hold identical messages from
other deliveries (one text for many windows, an unchanged REPEAT). Messages
with the request's footprint since it left are explained first by this
system's own OK rows with the same digest since then, then by earlier
unresolved rows with that digest; only a message left unexplained proves that
this request arrived.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from notifications.channels.base import HistoryUnavailable, Transport
from notifications.delivery import policy
from notifications.delivery.journal import Journal
from notifications.models import AttemptStatus, DeliveryAttempt

log = logging.getLogger(__name__)

LOST = "no answer recorded (its worker stopped or the connection broke after it left)"
# Earlier unresolved requests with the same footprint are resolved first; look again soon.
QUEUED_BEHIND_S = 2.0


def answer_window(transport: Transport) -> timedelta:
    """How long after a request left the service may still act on it."""
    return timedelta(seconds=transport.answer_timeout_s()) + policy.ANSWER_MARGIN


def resolve(
    journal: Journal,
    rows: list[DeliveryAttempt],
    transport: Transport,
    window: timedelta,
    now: datetime,
) -> float | None:
    """Settle each unanswered row of ``journal``'s delivery (see the module docstring).

    Returns seconds to wait before asking again when one cannot be decided yet, or
    None when every row is settled. A failure to ask the service propagates as the
    transport's error.
    """
    for row in rows:
        wait = _resolve(journal, row, transport, window, now)
        if wait is not None:
            return wait
    return None


def _resolve(
    journal: Journal,
    row: DeliveryAttempt,
    transport: Transport,
    window: timedelta,
    now: datetime,
) -> float | None:
    lost = f"{row.error}; {LOST}" if row.error else LOST
    since = row.time - policy.CLOCK_SKEW
    try:
        if not row.fingerprint:
            raise HistoryUnavailable("nothing to look for")
        arrived = transport.arrivals(row.fingerprint, since)
    except HistoryUnavailable as exc:
        journal.settle(
            row,
            AttemptStatus.UNKNOWN,
            f"{lost}; whether it arrived cannot be checked ({exc}): sent again, it may show twice",
        )
        log.warning(
            "notification %s: request %s may have arrived and is sent again: %s",
            row.delivery_id,
            row.request,
            exc,
        )
        return None
    same = DeliveryAttempt.objects.filter(fingerprint=row.fingerprint, time__gte=since).exclude(
        pk=row.pk
    )
    explained = same.filter(status=AttemptStatus.OK).count()
    ahead = same.filter(status=AttemptStatus.SENDING, pk__lt=row.pk).count()
    unexplained = len(arrived) - explained
    if unexplained > ahead:
        message_id = arrived[min(explained + ahead, len(arrived) - 1)]
        journal.settle(row, AttemptStatus.OK, f"{lost}; found in the room's history", message_id)
        log.info("notification %s: request %s had arrived", row.delivery_id, row.request)
        return None
    if unexplained > 0:
        return QUEUED_BEHIND_S
    settled_at = row.time + window
    if now < settled_at:
        return (settled_at - now).total_seconds()
    journal.settle(row, AttemptStatus.RETRY, f"{lost}; not in the room's history: sent again")
    return None
