"""Refuse to run on a Redis that would drop what it was given.

The partitions' inboxes, journals, snapshots and outboxes and the Celery queues live
only in Redis (design invariant 2). A Redis that evicts keys when its memory is full
drops them silently; one without an append-only file forgets everything since its
last RDB snapshot (or everything) when it restarts. So every process (engine and
notify workers, beat, the TCP listener, the web) checks at start that the server has
``appendonly yes`` and ``maxmemory-policy noeviction``, and refuses to start with a
message that says what to change.

The check reads ``CONFIG GET``; managed services that disable CONFIG usually still
answer ``INFO``, which shows the policy and whether the AOF is on. Where neither
answers, or an operator knowingly runs another setup, ``REDIS_CONFIG_CHECK=false``
skips the check (and says so in the log at every start).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import redis
from django.conf import settings

log = logging.getLogger(__name__)

REQUIRED_POLICY = "noeviction"
OVERRIDE = "REDIS_CONFIG_CHECK=false"
WAIT_FOR_REDIS_S = 30.0  # a Redis starting beside this process (compose, make run)


class RedisNotDurableError(Exception):
    """The Redis at REDIS_URL would evict or forget data; the message says what to change."""


@dataclass(frozen=True)
class RedisDurability:
    """What the server says about keeping data. ``None``: it did not say."""

    maxmemory_policy: str | None
    appendonly: bool | None
    appendfsync: str | None
    source: str  # "CONFIG GET" or "INFO"

    def problems(self) -> list[str]:
        """Why this server is refused; empty when it is fit."""
        found = []
        if self.maxmemory_policy is None:
            found.append("its maxmemory-policy could not be read")
        elif self.maxmemory_policy != REQUIRED_POLICY:
            found.append(
                f"maxmemory-policy is {self.maxmemory_policy}: when its memory is full it "
                f"evicts keys (queued samples, journals) instead of refusing writes"
            )
        if self.appendonly is None:
            found.append("whether it keeps an append-only file could not be read")
        elif not self.appendonly:
            found.append(
                "appendonly is no: a restart forgets everything written since its last "
                "RDB snapshot, or everything without one"
            )
        return found

    def warnings(self) -> list[str]:
        if self.appendonly and self.appendfsync == "no":
            return [
                "appendfsync is no: the operating system decides when the append-only "
                "file reaches the disk (up to ~30 s lost on a power failure); everysec "
                "is recommended"
            ]
        return []


def _info_field(section: dict[str, Any], name: str) -> str | None:
    value = section.get(name)
    return None if value is None else str(value)


def inspect(client: redis.Redis) -> RedisDurability:
    """Read the durability settings: CONFIG GET, else INFO; raises RedisError when the
    server answers neither."""
    try:
        config = client.config_get("maxmemory-policy")
        config |= client.config_get("appendonly")
        config |= client.config_get("appendfsync")
        return RedisDurability(
            _decoded(config.get("maxmemory-policy")),
            _decoded(config.get("appendonly")) == "yes" if "appendonly" in config else None,
            _decoded(config.get("appendfsync")),
            "CONFIG GET",
        )
    except redis.ResponseError as refused:
        # Renamed or forbidden CONFIG (managed services, ACLs): INFO tells the essentials.
        log.debug("CONFIG GET refused (%s); reading INFO", refused)
    memory: dict[str, Any] = client.info("memory")
    persistence: dict[str, Any] = client.info("persistence")
    aof = _info_field(persistence, "aof_enabled")
    return RedisDurability(
        _info_field(memory, "maxmemory_policy"),
        None if aof is None else aof == "1",
        None,
        "INFO",
    )


def _decoded(value: object) -> str | None:
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)


def _client(url: str) -> redis.Redis:
    # redis-py spells the unix-socket scheme unix://; kombu spells it redis+socket://
    return redis.Redis.from_url(url.replace("redis+socket://", "unix://", 1), socket_timeout=5)


def _connect_and_inspect(url: str, wait_s: float) -> RedisDurability:
    deadline = time.monotonic() + wait_s
    while True:
        try:
            with _client(url) as client:
                return inspect(client)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            if time.monotonic() >= deadline:
                raise RedisNotDurableError(
                    f"Redis at {url} is not reachable ({exc}); nothing can be accepted without it"
                ) from exc
            time.sleep(0.5)


def check_redis(url: str, *, wait_s: float = WAIT_FOR_REDIS_S) -> RedisDurability:
    """The server's durability settings; raises RedisNotDurableError with the reasons
    and the remedy when it would evict or forget."""
    try:
        found = _connect_and_inspect(url, wait_s)
    except redis.RedisError as exc:
        raise RedisNotDurableError(
            f"cannot read the configuration of the Redis at {url} (CONFIG GET and INFO "
            f"refused: {exc}). Make sure it runs with appendonly yes and "
            f"maxmemory-policy noeviction, then set {OVERRIDE} to start without the check."
        ) from exc
    problems = found.problems()
    if problems:
        raise RedisNotDurableError(
            f"the Redis at {url} would lose accepted data: "
            + "; ".join(problems)
            + f" (read with {found.source}). Configure it with appendonly yes, "
            f"appendfsync everysec and maxmemory-policy noeviction (see the README, "
            f"'Production Redis'), or set {OVERRIDE} if you accept the loss."
        )
    for warning in found.warnings():
        log.warning("Redis at %s: %s", url, warning)
    return found


def require_durable_redis(process: str) -> None:
    """Start-up gate of every long-running process: return when the broker's Redis keeps
    what it is given (or the check is switched off); otherwise exit with the reason."""
    url = settings.REDIS_URL
    if not settings.REDIS_CONFIG_CHECK:
        log.warning(
            "%s: Redis durability check skipped (%s); a Redis that evicts or forgets "
            "loses accepted data",
            process,
            OVERRIDE,
        )
        return
    try:
        check_redis(url)
    except RedisNotDurableError as exc:
        raise SystemExit(f"{process} refuses to start: {exc}") from None
