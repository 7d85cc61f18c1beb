"""Delivery policy: order keys, sequence numbers, retry back-off and limits.

Settings (``atsd_alerts/settings.py``, environment variables of the same name):
``NOTIFY_DEADLINE`` seconds a notification may take from trigger to delivery
(default 3600), ``NOTIFY_MAX_ATTEMPTS`` attempts per notification (default 10).
"""

from __future__ import annotations

import hashlib
import random
from datetime import timedelta

from django.conf import settings

BACKOFF_BASE_S = 1.0
BACKOFF_CAP_S = 300.0
# A claimed (SENDING) row whose worker has not finished within this time is taken
# to be lost with its worker and becomes PENDING again (see worker.sweep).
LEASE = timedelta(minutes=5)
# A trigger record holds at most this many bindings' deliveries in its sequence slot.
SEQUENCE_SLOTS = 1000


def deadline() -> timedelta:
    """How long after its trigger a notification may still be sent."""
    return timedelta(seconds=int(getattr(settings, "NOTIFY_DEADLINE", 3600)))


def max_attempts() -> int:
    """Attempts per notification before it is given up (at least 1)."""
    return max(1, int(getattr(settings, "NOTIFY_MAX_ATTEMPTS", 10)))


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

    Exponential from 1 s, capped at 5 min, with "equal jitter" (half fixed, half
    random) so retries of many notifications after one outage spread out.
    """
    ceiling = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** max(0, attempt - 1))
    return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)


def retry_delay_s(failures: int, retry_after_s: float | None) -> float:
    """The back-off after ``failures`` failed attempts, or the server's rate-limit
    reset when that is later."""
    return max(backoff_s(failures), retry_after_s or 0.0)
