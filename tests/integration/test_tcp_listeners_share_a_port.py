"""TCP_LISTENERS: listener processes sharing one port (SO_REUSEPORT) each take
connections, and every line they are sent lands in the engine inboxes exactly once.

Two real ``manage.py listen_tcp`` processes on the test database and Redis, as
``make run`` starts them with ``TCP_LISTENERS=2``.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from django.conf import settings

from rules.partition import inbox
from tests.engine_helpers import database_url, make_rule, poll
from tests.services import ROOT

pytestmark = pytest.mark.integration

LISTENERS = 2
# The kernel picks a listener per connection by a hash of its addresses: with 24
# connections, one listener taking them all has odds of 2 in 2**24.
CONNECTIONS = 24
LINES_PER_CONNECTION = 20
STARTED = re.compile(r"TCP command listener on \S+ for .*, one of 2 sharing the port")
STOPPED = re.compile(r"TCP command listener stopped: (\d+) commands accepted, 0 invalid")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_listener(port: int, log_path: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, TCP_LISTENERS=str(LISTENERS), DATABASE_URL=database_url(),
               REDIS_URL=settings.REDIS_URL, ENGINE_PARTITIONS=str(settings.ENGINE_PARTITIONS),
               INGEST_FLUSH_MS="20")  # fmt: skip
    log = open(log_path, "wb")  # noqa: SIM115 - handed to the child, closed with the test
    return subprocess.Popen(
        [sys.executable, "manage.py", "listen_tcp", "--port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip


def inbox_samples() -> list[tuple[str, float]]:
    """(entity, value) of every row in every partition's inbox."""
    samples = []
    for partition in range(settings.ENGINE_PARTITIONS):
        for _, rows in inbox.read_after(partition, "0", count=10_000):
            samples += [(wire[1], wire[6]) for wire, _ in orjson.loads(rows)]
    return samples


def test_two_listeners_on_one_port_both_take_connections_and_land_every_line_once(
    broker, transactional_db, tmp_path
):
    make_rule("shared-port", "shared_port", "false", "length(1)")
    port = free_port()
    logs = [tmp_path / f"listener{n}.log" for n in range(LISTENERS)]
    listeners = [start_listener(port, log) for log in logs]
    try:
        poll(lambda: all(STARTED.search(log.read_text()) for log in logs), 60,
             "both listeners listening")  # fmt: skip
        sent = []
        for connection in range(CONNECTIONS):
            lines = [(f"conn-{connection}", float(i)) for i in range(LINES_PER_CONNECTION)]
            body = "".join(f"series e:{e} m:shared_port={v}\n" for e, v in lines)
            with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                sock.sendall(body.encode())
            sent += lines
        landed = poll(lambda: (s := inbox_samples()) and len(s) >= len(sent) and s, 60,
                      "every line in an inbox")  # fmt: skip
        for listener in listeners:
            listener.send_signal(signal.SIGTERM)
        for listener in listeners:
            listener.wait(60)
    finally:
        for listener in listeners:
            if listener.poll() is None:
                listener.kill()
                listener.wait(10)
    assert sorted(inbox_samples()) == sorted(landed) == sorted(sent)
    accepted = []
    for log in logs:
        stopped = STOPPED.search(log.read_text())
        assert stopped, log.read_text()
        accepted.append(int(stopped.group(1)))
    assert sum(accepted) == len(sent)
    assert all(count > 0 for count in accepted), accepted
