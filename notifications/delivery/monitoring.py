"""Self-monitoring of delivery: ``web_service_notifications_per_minute`` (spec §7.1).

Every request that leaves for a chat server counts (successful or not), in a
per-minute Redis counter shared by all notify workers; a beat task reads the
finished minute and hands the value to the engine as a series of the server entity.
"""

from __future__ import annotations

import logging
import time

from redis.exceptions import RedisError

from atsd_alerts.redis import client, key

log = logging.getLogger(__name__)

NOTIFICATIONS_PER_MINUTE = "web_service_notifications_per_minute"
KEEP_S = 600


def _minute_key(minute: int) -> str:
    return key("notify", "sends", minute)


def count_send(n: int = 1, *, now: float | None = None) -> None:
    """Count ``n`` requests sent now. Never raises: monitoring costs no notification."""
    name = _minute_key(int((time.time() if now is None else now) // 60))
    pipe = client().pipeline(transaction=False)
    pipe.incrby(name, n)
    pipe.expire(name, KEEP_S)
    try:
        pipe.execute()
    except RedisError as exc:
        log.warning("cannot count notification sends: %s", exc)


def sends_in_minute(minute: int) -> int:
    """Requests counted in Unix minute ``minute`` (``time // 60``)."""
    return int(client().get(_minute_key(minute)) or 0)


def previous_minute_sends(*, now: float | None = None) -> int:
    """Requests sent during the last complete minute."""
    return sends_in_minute(int((time.time() if now is None else now) // 60) - 1)
