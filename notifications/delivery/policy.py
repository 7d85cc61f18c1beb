"""Delivery policy: order keys, sequence numbers, retry back-off and limits.

Settings (``atsd_alerts/settings.py``, environment variables of the same name):
``NOTIFY_DEADLINE`` seconds a notification keeps being retried after its trigger
(default 3600); ``NOTIFY_BACKOFF_CAP`` the longest wait between two attempts
(default 60 s); ``NOTIFY_MAX_ATTEMPTS`` an optional cap on attempts (default 0:
none, the deadline alone ends the retries); ``NOTIFY_HEARTBEAT_TTL`` seconds
after which the claim of a notify worker that stopped beating is taken back.
"""

from __future__ import annotations

import hashlib
import random
from datetime import timedelta

from django.conf import settings

BACKOFF_BASE_S = 1.0
# The last retry is scheduled this long before the deadline, so a wake-up that comes
# a little late still finds the notification within it.
LAST_CALL = timedelta(seconds=5)
# A request whose answer was lost may still be handled by the service until the
# client's own timeouts have run out; this much more allows for a slow server.
ANSWER_MARGIN = timedelta(seconds=5)
# How much earlier than our own record of a request the service's clock may date its
# message (clock skew between this host and the service).
CLOCK_SKEW = timedelta(seconds=30)
# A trigger record holds at most this many bindings' deliveries in its sequence slot.
SEQUENCE_SLOTS = 1000


def deadline() -> timedelta:
    """How long after its trigger a notification may still be sent."""
    return timedelta(seconds=int(getattr(settings, "NOTIFY_DEADLINE", 3600)))


def backoff_cap_s() -> float:
    """The longest wait between two attempts of one notification."""
    return max(BACKOFF_BASE_S, float(getattr(settings, "NOTIFY_BACKOFF_CAP", 60)))


def max_attempts() -> int | None:
    """The optional cap on attempts per notification; None: retried until the deadline."""
    cap = int(getattr(settings, "NOTIFY_MAX_ATTEMPTS", 0))
    return cap if cap > 0 else None


def heartbeat_ttl() -> timedelta:
    """How long a notify worker's heartbeat lasts without being refreshed."""
    return timedelta(seconds=max(2, int(getattr(settings, "NOTIFY_HEARTBEAT_TTL", 6))))


def order_key(rule: str, window_key: str, endpoint_name: str) -> str:
    """A short stable hash of (rule, window, endpoint): the unit of ordering."""
    raw = "\x1f".join((rule, window_key, endpoint_name)).encode("utf-8")
    return hashlib.sha256(raw).hexdigest()[:32]


def sequence(trigger_pk: int, index: int) -> int:
    """The position of a delivery in its order key.

    A window belongs to exactly one engine partition, which stores its triggers
    serially (design invariant 1), so the trigger record's primary key already
    follows the window's trigger order, delayed OPENs included; ``index`` orders
    several bindings of one trigger to the same endpoint. No lock needed.
    """
    return trigger_pk * SEQUENCE_SLOTS + min(index, SEQUENCE_SLOTS - 1)


def backoff_s(attempt: int, *, rng: random.Random | None = None) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based).

    Exponential from 1 s, capped at :func:`backoff_cap_s`, with "equal jitter" (half
    fixed, half random) so retries of many notifications after one outage spread out.
    """
    ceiling = min(backoff_cap_s(), BACKOFF_BASE_S * 2 ** min(30, max(0, attempt - 1)))
    return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)


def retry_delay_s(failures: int, retry_after_s: float | None) -> float:
    """The back-off after ``failures`` failed attempts, or the server's rate-limit
    reset when that is later."""
    return max(backoff_s(failures), retry_after_s or 0.0)
