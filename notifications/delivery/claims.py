"""Who holds a claimed delivery, and whether it is still alive.

A notify worker process claims deliveries under its own id
(``host:pid:random``) and keeps a heartbeat key of that id in Redis with a short
expiry, refreshed every second by a daemon thread. The key lives as long as the
process does: a worker killed with ``-9`` stops refreshing it, and within
``NOTIFY_HEARTBEAT_TTL`` seconds :func:`alive` no longer lists it, so the sweep
takes its claims back — seconds, not a lease as long as the slowest send.

A Redis that just restarted has lost every key before the workers had time to
write theirs again: :func:`heartbeats_settled` says when absence means death.
Taking back the claim of a worker that was alive after all costs no duplicate:
the worker's next write is conditional on its claim and fails, and a request it
had in flight is looked for in the room before anything is sent again
(:mod:`notifications.delivery.recovery`).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Iterable

from redis.exceptions import RedisError

from notifications.delivery import policy
from rules.runtime.redis_client import client, key

log = logging.getLogger(__name__)

BEAT_EVERY_S = 1.0

_lock = threading.Lock()
_heartbeat: Heartbeat | None = None


def _alive_key(worker: str) -> str:
    return key("notify", "alive", worker)


class Heartbeat:
    """Refreshes one worker id's key until the process ends (a daemon thread)."""

    def __init__(self, worker: str) -> None:
        self.worker = worker
        self.pid = os.getpid()
        self._failing = False
        self._thread = threading.Thread(target=self._run, name="notify-heartbeat", daemon=True)

    def start(self) -> Heartbeat:
        self.beat()  # the key exists before the first claim is made under this id
        self._thread.start()
        return self

    def beat(self) -> None:
        ttl_ms = int(policy.heartbeat_ttl().total_seconds() * 1000)
        try:
            client().set(_alive_key(self.worker), "1", px=ttl_ms)
        except RedisError as exc:
            if not self._failing:
                log.warning("notify worker %s cannot write its heartbeat: %s", self.worker, exc)
            self._failing = True
        else:
            if self._failing:
                log.info("notify worker %s writes its heartbeat again", self.worker)
            self._failing = False

    def _run(self) -> None:
        stop = threading.Event()
        while not stop.wait(BEAT_EVERY_S):
            self.beat()


def worker_id() -> str:
    """This process's worker id; the first call starts its heartbeat.

    Per process id, so a forked pool child gets an id and a heartbeat of its own.
    """
    global _heartbeat
    current = _heartbeat
    if current is not None and current.pid == os.getpid():
        return current.worker
    with _lock:
        if _heartbeat is None or _heartbeat.pid != os.getpid():
            name = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
            _heartbeat = Heartbeat(name[-128:]).start()
        return _heartbeat.worker


def alive(workers: Iterable[str]) -> set[str]:
    """The workers among ``workers`` whose heartbeat has not expired."""
    names = sorted(set(workers))
    if not names:
        return set()
    found = client().mget([_alive_key(w) for w in names])
    return {w for w, value in zip(names, found, strict=True) if value is not None}


def heartbeats_settled() -> bool:
    """True when Redis has run long enough for every living worker to have beaten.

    After a Redis restart the keys are gone until the workers' next beat; until
    twice the heartbeat's lifetime has passed, a missing key proves nothing.
    """
    uptime = int(client().info("server").get("uptime_in_seconds", 0))
    return uptime >= 2 * policy.heartbeat_ttl().total_seconds()
