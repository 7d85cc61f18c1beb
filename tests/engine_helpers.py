"""Helpers for tests that run the real engine: rules, waiting, reading partitions."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection

from atsd_alerts.redis import client
from rules.ingest.pipeline import hand_off
from rules.ingest.tcp import CommandListener, ListenerThread
from rules.models import Rule
from rules.partition import worker
from rules.partition.versions import bump_version
from rules.routing import handoff


def make_rule(name: str, metric: str, expression: str, window: str, **fields: Any) -> Rule:
    rule = Rule.objects.create(
        name=name, metric=metric, expression=expression, window=window, **fields
    )
    bump_version()  # tests may run outside a transaction commit hook
    return rule


@contextmanager
def tcp_sender() -> Iterator[Callable[..., None]]:
    """A TCP command listener on loopback and ``send(*lines)``, which writes the lines to
    it on one connection; the listener stops on exit."""
    listener = ListenerThread(CommandListener(hand_off, flush_ms=10))
    listener.start()

    def send(*lines: str) -> None:
        with socket.create_connection(("127.0.0.1", listener.port), timeout=5) as sock:
            sock.sendall("".join(line + "\n" for line in lines).encode())

    try:
        yield send
    finally:
        listener.stop()


def poll(check: Callable[[], Any], timeout: float = 20.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"{what} not reached within {timeout} s")


def window_sizes(rule: str) -> dict[str, int]:
    """Window key → sample count, for windows of ``rule`` held in this process."""
    out: dict[str, int] = {}
    for partition in list(worker.host.partitions.values()):
        runtime = partition.engine.rules.get(rule)
        if runtime is not None:
            for wr in list(runtime.windows.values()):
                out[wr.display] = len(wr.window.times())
    return out


def restart_workers() -> None:
    """This process's engine workers start again: a new host, nothing in memory."""
    worker.host = worker.PartitionHost()


def reset_engine() -> None:
    """A clean broker-side engine state: no partitions in memory, no checkpoints."""
    restart_workers()
    redis = client()
    for name in redis.scan_iter("atsd:*"):
        redis.delete(name)
    handoff._table = None


def database_url() -> str:
    """The URL of the test database, for engine workers started as subprocesses."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user = settings["USER"] or ""
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    host = settings["HOST"] or "127.0.0.1"
    port = settings["PORT"] or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}"
