"""Who holds a claimed delivery, and whether it is still working on it.

A notify worker process claims deliveries under its own id
(``host:pid:random``) and keeps a heartbeat key of that id in Redis with a short
expiry, refreshed every second by a daemon thread; the key's value lists the
deliveries the process is working on right now. A worker killed with ``-9``
stops refreshing it, and within ``NOTIFY_HEARTBEAT_TTL`` seconds :func:`working`
no longer lists its claims, so the sweep takes them back — seconds, not a lease
as long as the slowest send. A claim its living worker dropped without
finishing (the database went away between the answer and the record) is taken
back the same way, since the worker no longer lists it.

A Redis that just restarted has lost every key before the workers had time to
write theirs again: :func:`heartbeats_settled` says when absence means death.
Taking back the claim of a worker that was alive after all costs no duplicate:
the worker's next write is conditional on its claim and fails, and a request it
had in flight is looked for in the room before anything is sent again
(:mod:`notifications.delivery.recovery`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Iterable, Iterator

from redis.exceptions import RedisError

from atsd_alerts.redis import client, key
from notifications.delivery import policy

log = logging.getLogger(__name__)

BEAT_EVERY_S = 1.0
NOTHING = "-"  # the value of a heartbeat that works on no delivery

_lock = threading.Lock()
_heartbeat: Heartbeat | None = None


def _alive_key(worker: str) -> str:
    return key("notify", "alive", worker)


class Heartbeat:
    """Refreshes one worker id's key until the process ends (a daemon thread)."""

    def __init__(self, worker: str) -> None:
        self.worker = worker
        self.pid = os.getpid()
        self.active: set[int] = set()
        self._active_lock = threading.Lock()
        self._failing = False
        self._thread = threading.Thread(target=self._run, name="notify-heartbeat", daemon=True)

    def start(self) -> Heartbeat:
        self.beat()  # the key exists before the first claim is made under this id
        self._thread.start()
        return self

    def beat(self) -> None:
        ttl_ms = int(policy.heartbeat_ttl().total_seconds() * 1000)
        with self._active_lock:
            value = ",".join(str(pk) for pk in sorted(self.active)) or NOTHING
        try:
            client().set(_alive_key(self.worker), value, px=ttl_ms)
        except RedisError as exc:
            if not self._failing:
                log.warning("notify worker %s cannot write its heartbeat: %s", self.worker, exc)
            self._failing = True
        else:
            if self._failing:
                log.info("notify worker %s writes its heartbeat again", self.worker)
            self._failing = False

    @contextlib.contextmanager
    def working_on(self, pk: int) -> Iterator[None]:
        with self._active_lock:
            self.active.add(pk)
        try:
            yield
        finally:
            with self._active_lock:
                self.active.discard(pk)

    def _run(self) -> None:
        while True:  # a daemon thread: it ends with the process, as the heartbeat must
            time.sleep(BEAT_EVERY_S)
            self.beat()


def heartbeat() -> Heartbeat:
    """This process's heartbeat, started by the first call.

    Per process id, so a forked pool child gets an id and a heartbeat of its own.
    """
    global _heartbeat
    current = _heartbeat
    if current is not None and current.pid == os.getpid():
        return current
    with _lock:
        if _heartbeat is None or _heartbeat.pid != os.getpid():
            name = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
            _heartbeat = Heartbeat(name[-128:]).start()
        return _heartbeat


def worker_id() -> str:
    """This process's worker id (claims are made under it)."""
    return heartbeat().worker


def working_on(pk: int) -> contextlib.AbstractContextManager[None]:
    """While inside, this process's heartbeat lists delivery ``pk`` as being worked on."""
    return heartbeat().working_on(pk)


def working(workers: Iterable[str]) -> dict[str, set[int]]:
    """The deliveries each living worker among ``workers`` works on (dead ones absent)."""
    names = sorted(set(workers))
    if not names:
        return {}
    found = client().mget([_alive_key(w) for w in names])
    return {
        worker: {int(pk) for pk in _text(value).split(",") if pk.isdigit()}
        for worker, value in zip(names, found, strict=True)
        if value is not None
    }


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def heartbeats_settled() -> bool:
    """True when Redis has run long enough for every living worker to have beaten.

    After a Redis restart the keys are gone until the workers' next beat; until
    twice the heartbeat's lifetime has passed, a missing key proves nothing.
    """
    uptime = int(client().info("server").get("uptime_in_seconds", 0))
    return uptime >= 2 * policy.heartbeat_ttl().total_seconds()
