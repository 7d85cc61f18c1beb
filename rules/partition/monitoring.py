"""Self-monitoring: counters kept in Redis, read once a minute by beat."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from redis.exceptions import RedisError

from atsd_alerts.metrics.tally import COMMANDS_RECEIVED, Tally
from atsd_alerts.redis import client, key
from rules.models import Alert

log = logging.getLogger(__name__)

COMMANDS_PER_MINUTE = "atsd_alerts_commands_per_minute"
WINDOWS = "atsd_alerts_windows"
OPEN_ALERTS = "atsd_alerts_open_alerts"


def _minute_key(minute: int) -> str:
    return key("ingest", "commands", minute)


def count_commands(n: int) -> None:
    """Called by ingestion for every accepted batch of commands."""
    if n <= 0:
        return
    name = _minute_key(int(time.time() // 60))
    pipe = client().pipeline(transaction=False)
    pipe.incrby(name, n)
    pipe.expire(name, 600)
    Tally().count(COMMANDS_RECEIVED, n).add_to(pipe)
    try:
        pipe.execute()
    except RedisError as exc:  # monitoring never costs an accepted command
        log.warning("cannot count commands: %s", exc)


def window_count_key(partition: int) -> str:
    return key("engine", partition, "window_count")


def self_metrics() -> dict[str, float]:
    redis = client()
    previous_minute = int(time.time() // 60) - 1
    commands = int(redis.get(_minute_key(previous_minute)) or 0)
    windows = sum(
        int(redis.get(window_count_key(p)) or 0) for p in range(settings.ENGINE_PARTITIONS)
    )
    return {
        COMMANDS_PER_MINUTE: float(commands),
        WINDOWS: float(windows),
        OPEN_ALERTS: float(Alert.objects.count()),
    }
