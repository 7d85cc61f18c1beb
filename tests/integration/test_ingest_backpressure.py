"""Back-pressure: while Redis is down nothing is buffered without bound, nothing accepted
is lost, HTTP answers 503 with Retry-After, and a stopping listener hands off what it read.

Each test runs its own redis-server on a free port, stopped and started again by the
test; the engine's inboxes live there (``REDIS_URL``), and what was handed off is read
back from it.
"""

import base64
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson
import pytest
import redis
from django.conf import settings as django_settings

from rules.ingest.names import names
from rules.ingest.pipeline import hand_off
from rules.ingest.tcp import BACKLOG_BATCHES, READ_CHUNK, CommandListener, ListenerThread
from rules.partition import inbox
from rules.routing import handoff
from tests.engine_helpers import database_url, make_rule, poll
from tests.services import RedisServer

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def private_redis(settings, tmp_path, transactional_db):
    """A redis-server of this test's own, holding the engine's inboxes; a rule routes
    every ``bp`` sample to them."""
    server = RedisServer(tmp_path / "redis").start()
    settings.REDIS_URL = server.url
    handoff._table = None  # the route table reads rule versions from the new Redis
    names.forget()
    make_rule("bp-capture", "bp", "false", "length(10)")
    yield server
    server.stop()
    handoff._table = None


def handed_off(server: RedisServer) -> list[float]:
    """Values of every ``bp`` event in the inboxes of ``server``, in inbox order."""
    client = redis.Redis(port=server.port)
    values = []
    for partition in range(django_settings.ENGINE_PARTITIONS):
        for _id, fields in client.xrange(inbox.inbox_key(partition)):
            values += [row[0][6] for row in orjson.loads(fields[b"rows"])]
    return values


def line(i: int, pad: int = 0) -> bytes:
    tag = f" t:pad={'p' * pad}" if pad else ""
    return f"series e:bp m:bp={i}{tag}\n".encode()


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def test_http_ingest_answers_503_with_retry_after_while_redis_is_down(
    private_redis, client, collector
):
    auth = basic("collector", "pw-collector")
    private_redis.stop()
    response = client.post("/api/v1/command", line(1), content_type="text/plain",
                           HTTP_AUTHORIZATION=auth)  # fmt: skip
    assert response.status_code == 503
    assert response["Retry-After"] == str(django_settings.INGEST_RETRY_AFTER)
    private_redis.start()
    response = client.post("/api/v1/command", line(2), content_type="text/plain",
                           HTTP_AUTHORIZATION=auth)  # fmt: skip
    assert response.json()["success"] == 1
    assert handed_off(private_redis) == [2.0]  # answered success: in Redis; 503: nowhere


def test_the_listener_stops_reading_while_redis_is_down_and_loses_nothing(private_redis):
    batch = 2000
    listener = ListenerThread(CommandListener(hand_off, batch_size=batch, flush_ms=20))
    listener.start()
    per_chunk = READ_CHUNK // len(line(0, pad=600))
    stream = b"".join(line(i, pad=600) for i in range(100_000))  # 62 MB, more than fits
    offset = 0
    try:
        private_redis.stop()
        sock = socket.create_connection(("127.0.0.1", listener.port), timeout=5)
        sock.setblocking(False)
        deadline = time.monotonic() + 30
        blocked_since = None
        while time.monotonic() < deadline and offset < len(stream):
            try:
                offset += sock.send(stream[offset : offset + 65536])
                blocked_since = None
            except BlockingIOError:
                blocked_since = blocked_since or time.monotonic()
                if time.monotonic() - blocked_since > 1.0:
                    break  # the window is full and stays full
                time.sleep(0.01)
        assert blocked_since is not None, "the listener kept reading while Redis was down"
        buffered = listener.listener.buffered
        time.sleep(0.5)
        assert listener.listener.buffered == buffered  # no reading while it cannot hand off
        # Bounded: the batch in flight when the outage began (taken from a backlog of at
        # most BACKLOG_BATCHES batches and a chunk) plus a backlog of the same bound
        # that grew while that first attempt was under way.
        assert buffered <= 2 * (BACKLOG_BATCHES * batch + per_chunk), buffered
        private_redis.start()
        sock.setblocking(True)
        end = offset
        for _ in range(100):  # the rest of the cut line, then 99 more whole lines
            end = stream.index(b"\n", end) + 1
        sock.sendall(stream[offset:end])
        sock.close()
        sent = stream.count(b"\n", 0, end)
        values = poll(lambda: (v := handed_off(private_redis)) and len(v) >= sent and v, 60,
                      "every line in Redis")  # fmt: skip
    finally:
        listener.stop()
    assert values == [float(i) for i in range(sent)]


def holding(server: RedisServer, lines: int, stop_timeout_s: float) -> ListenerThread:
    """A listener that has read ``lines`` lines it cannot hand off: Redis is down and
    its timer would flush only in a minute."""
    listener = ListenerThread(
        CommandListener(hand_off, flush_ms=60_000, stop_timeout_s=stop_timeout_s)
    )
    listener.start()
    server.stop()
    with socket.create_connection(("127.0.0.1", listener.port), timeout=5) as sock:
        sock.sendall(b"".join(line(i) for i in range(lines)))
        poll(lambda: listener.listener.buffered == lines, 10, f"{lines} lines read")
    return listener


def test_a_stopping_listener_hands_off_what_it_read_when_redis_comes_back(private_redis):
    listener = holding(private_redis, 50, stop_timeout_s=30)
    stopping = threading.Thread(target=listener.stop)
    stopping.start()
    time.sleep(1.0)  # the stop is retrying the hand-off now
    private_redis.start()
    stopping.join(60)
    assert not stopping.is_alive()
    assert listener.listener.lost == 0
    assert handed_off(private_redis) == [float(i) for i in range(50)]


def test_a_listener_that_cannot_hand_off_by_its_stop_deadline_says_what_it_lost(
    private_redis, caplog
):
    listener = holding(private_redis, 7, stop_timeout_s=1)
    listener.stop()
    assert listener.listener.lost == 7
    assert "stopped with 7 accepted events not handed off" in caplog.text


def test_sigterm_makes_the_listener_hand_off_before_it_exits(private_redis):
    env = dict(
        os.environ, DATABASE_URL=database_url(), REDIS_URL=private_redis.url,
        INGEST_FLUSH_MS="600000", INGEST_BATCH_SIZE="100000",
    )  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "manage.py", "listen_tcp", "--port", "0"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        # Start-up warnings (the skipped Redis durability check) may come first.
        first = process.stdout.readline()
        while first and not first.startswith("TCP command listener on "):
            first = process.stdout.readline()
        assert first.startswith("TCP command listener on 127.0.0.1:"), first
        port = int(first.split(":")[1].split()[0])
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"".join(line(i) for i in range(50)))
            time.sleep(1.0)  # read by the listener, not handed off (flush: 10 minutes)
            assert handed_off(private_redis) == []
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, output
    assert "50 commands accepted, 0 invalid, 0 events not handed off" in output
    assert handed_off(private_redis) == [float(i) for i in range(50)]
