"""The ``make run`` stack under test: started, broken on purpose, and timed back to service.

:class:`StackUnderTest` runs ``scripts/run_stack.py`` (the real supervisor, its real
children, its embedded Redis with an append-only file) on free ports in a temporary
``DATA_DIR``, on SQLite or, when the test run has a PostgreSQL ``DATABASE_URL``, on a
database of its own on that server. Notifications go to a fake HipChat server in the
test process (``devtools.fakes.hipchat``), configured by :meth:`StackUnderTest.configure`
(``tests.faults.configure``).

* :meth:`kill` sends a signal to a named child (``redis``, ``web``, ``listener``,
  ``engine.N``, ``notify``, ``beat``); :meth:`kill_and_recover` kills it and times the
  stack back to service; :meth:`restart` stops the whole stack and starts it again on
  the same data.
* :meth:`wait_serving` proves service end to end: the login page answers and, for every
  engine partition, a probe sample sent over TCP opens an alert whose OPEN, delayed by
  a second that only beat's ticks end, reaches the room (listener, engine worker,
  beat, notify worker).
* :class:`AlertStream` drives OPEN then CANCEL for many entities through the listener
  and tallies, per entity, what reached the room: lost, duplicated, out of order.

Typical use (the fault suite)::

    with fake_room() as room, StackUnderTest(tmp_path, room) as stack:
        stream = AlertStream(stack, 2000)
        stream.open_all()
        print(stack.kill_and_recover("engine.0"))
        stream.cancel_all()
        tally = stream.wait_complete(timeout=300)
        print(tally.report())          # lost: 0 / duplicated: 0 / out of order: 0
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

import psycopg

from devtools.fakes.hipchat import HipChatFake
from rules.engine.grouping import NO_TAGS, Grouping
from rules.events import SERIES, Event
from rules.routing.table import RouteTable
from tests.faults.configure import PROBE_METRIC, PROBE_RULE, STREAM_METRIC, STREAM_RULE

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from services import free_port  # noqa: E402

T = TypeVar("T")
ROOM_ID = 7
ADMIN_PASSWORD = "stack-admin-pw"
CHILD_KINDS = ("redis", "web", "listener", "engine.0", "notify", "beat")
STACK_TOKEN_SCOPES = ("send_notification", "send_message", "view_messages")
# How long a ``debug`` line may wait for its ``ok`` (Redis away, the listener paused)
# before the lines are sent again on a new connection.
ACK_TIMEOUT_S = 20.0
# How long one step of a steady stream may take to be acknowledged: a whole restart.
SEND_TIMEOUT_S = 240.0
STARTED = re.compile(r"\bstarted (\S+) \(pid (\d+)\)")
# Variables of the test run the stack must not inherit: it has its own Redis and data,
# and runs the Redis check the suite switches off for its throw-away Redis.
NOT_INHERITED = ("REDIS_URL", "DATABASE_URL", "REDIS_CONFIG_CHECK", "DATA_DIR")


@contextlib.contextmanager
def fake_room(**options: object) -> Iterator[HipChatFake]:
    """A started fake HipChat server with the room and a token the stack sends with.

    Its flood limit is raised out of the way unless given: the stack sends far more
    than HipChat's 30 messages a minute per room. The token may read the room's
    history (``view_messages``), as the README asks: a request whose answer a fault
    lost is looked for there before it is sent again.
    """
    options.setdefault("flood_limit", 1_000_000)
    options.setdefault("token_limit", 1_000_000)
    fake = HipChatFake(**options)  # type: ignore[arg-type]
    fake.start()
    try:
        fake.add_room("Faults", room_id=ROOM_ID)
        fake.add_token("stack-token", scopes=STACK_TOKEN_SCOPES)
        yield fake
    finally:
        fake.stop()


@contextlib.contextmanager
def running_stack(workdir: Path, fake: HipChatFake, **options: object) -> Iterator[StackUnderTest]:
    """A started :class:`StackUnderTest` (its start-up time printed), closed afterwards."""
    stack = StackUnderTest(workdir, fake, **options)  # type: ignore[arg-type]
    try:
        print(f"\nstack started and served in {stack.start():.1f} s")
        yield stack
    finally:
        stack.close()


def room_texts(fake: HipChatFake) -> list[str]:
    """Texts the room received, in order of arrival."""
    return [
        str(r.json.get("message", ""))
        for r in fake.room_messages(ROOM_ID)
        if r.endpoint == "notification" and r.json
    ]


@dataclass(frozen=True)
class Recovery:
    """One fault and how long the stack took to serve again after it."""

    child: str
    exit_line: str  # the supervisor's log line about the death
    seconds: float  # from the signal to a successful end-to-end probe

    def __str__(self) -> str:
        return f"{self.child}: served again {self.seconds:.1f} s after the kill"


class _Database:
    """The stack's own database: SQLite in its data directory, or a fresh PostgreSQL
    database beside the test run's (``DATABASE_URL``), dropped afterwards."""

    def __init__(self, server_url: str | None, name: str) -> None:
        self.server_url = server_url if server_url and server_url.startswith("postgres") else None
        self.name = name
        self.url: str | None = None

    def create(self) -> None:
        if self.server_url is None or self.url is not None:
            return
        with psycopg.connect(self.server_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        parts = urlsplit(self.server_url)
        self.url = urlunsplit(parts._replace(path=f"/{self.name}"))

    def terminate_connections(self) -> int:
        """End every session on the stack's database, as a server restart does."""
        assert self.url is not None, "not on PostgreSQL"
        assert self.server_url is not None, "not on PostgreSQL"
        with psycopg.connect(self.server_url, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (self.name,),
            ).fetchall()
        return len(rows)

    def drop(self) -> None:
        if self.url is None or self.server_url is None:
            return
        with psycopg.connect(self.server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self.url = None


class StackUnderTest:
    """``scripts/run_stack.py`` in ``workdir``, notifying ``fake`` (see module doc)."""

    def __init__(
        self,
        workdir: Path,
        fake: HipChatFake,
        *,
        partitions: int = 2,
        env: dict[str, str] | None = None,
    ) -> None:
        self.workdir = workdir
        self.fake = fake
        self.partitions = partitions
        self.data_dir = workdir / "data"
        self.log_path = workdir / "stack.log"
        self.web_port, self.tcp_port = free_port(), free_port()
        self.database = _Database(os.environ.get("DATABASE_URL"), f"stack_{os.getpid()}_"
                                  f"{self.web_port}")  # fmt: skip
        self.extra_env = env or {}
        self.process: subprocess.Popen | None = None
        self._log_file: object | None = None
        self._probes = itertools.count(1)
        self._routes = RouteTable(partitions)
        self._configured = False

    # -- life cycle ----------------------------------------------------------------------

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
        env.update(
            DATA_DIR=str(self.data_dir),
            WEB_PORT=str(self.web_port),
            TCP_LISTENER_PORT=str(self.tcp_port),
            ENGINE_PARTITIONS=str(self.partitions),
            ADMIN_PASSWORD=ADMIN_PASSWORD,
            LOG_LEVEL="INFO",
        )
        if self.database.url:
            env["DATABASE_URL"] = self.database.url
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = 180.0) -> float:
        """Start the supervisor; returns seconds until the stack served a probe."""
        self.database.create()
        began = time.monotonic()
        log = open(self.log_path, "a")  # noqa: SIM115 - closed in stop()
        self._log_file = log
        self.process = subprocess.Popen(
            [sys.executable, "scripts/run_stack.py"], cwd=ROOT, env=self.env,
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self._wait(self._web_answers, timeout, "the login page")
        if not self._configured:
            self.configure()
        self.wait_serving(timeout - (time.monotonic() - began))
        return time.monotonic() - began

    def stop(self, timeout: float = 60.0) -> int:
        """Ctrl-C the supervisor; returns its exit code."""
        process = self.process
        if process is None:
            return 0
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        try:
            code = process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            for pid in self.pids().values():
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
            process.kill()
            code = process.wait()
        if self._log_file is not None:
            self._log_file.close()  # type: ignore[attr-defined]
            self._log_file = None
        return code

    def restart(self, timeout: float = 180.0) -> float:
        """Stop the whole stack and start it again on the same data; seconds to serve."""
        began = time.monotonic()
        assert self.stop() == 0, self.log_tail()
        self.process = None
        self.start(timeout)
        return time.monotonic() - began

    def close(self) -> None:
        try:
            self.stop()
        finally:
            self.database.drop()

    def __enter__(self) -> StackUnderTest:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the stack's own view -----------------------------------------------------------

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log().splitlines()[-lines:])

    def pids(self) -> dict[str, int]:
        """Each child's current pid, from the supervisor's ``started NAME (pid N)`` lines."""
        return {name: int(pid) for name, pid in STARTED.findall(self.log())}

    def manage(self, *args: str) -> subprocess.CompletedProcess:
        """``manage.py`` with the stack's environment (its database and Redis)."""
        env = self.env
        env["REDIS_URL"] = f"redis+socket://{self.data_dir / 'redis.sock'}"
        return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, check=True, timeout=120)  # fmt: skip

    def configure(self) -> None:
        code = (
            "from tests.faults.configure import configure; "
            f"configure({self.fake.url!r}, 'stack-token', {ROOM_ID})"
        )
        self.manage("shell", "--no-imports", "-c", code)
        self._configured = True

    # -- faults --------------------------------------------------------------------------

    def kill(self, child: str, sig: int = signal.SIGKILL) -> int:
        """Signal ``child``'s current process; returns its pid."""
        pid = self.pids()[child]
        os.kill(pid, sig)
        return pid

    def wait_restarted(self, child: str, old_pid: int, timeout: float = 30.0) -> int:
        """The pid of ``child`` once the supervisor started it again after ``old_pid``."""

        def new_pid() -> int:
            pid = self.pids().get(child, old_pid)
            return 0 if pid == old_pid else pid

        return self._wait(new_pid, timeout, f"{child} restarted")

    def kill_and_recover(
        self, child: str, timeout: float = 60.0, sig: int = signal.SIGKILL
    ) -> Recovery:
        """Signal ``child`` (SIGKILL unless told), wait for its restart and for end-to-end
        service."""
        began = time.monotonic()
        pid = self.kill(child, sig)
        self.wait_restarted(child, pid, timeout)
        self.wait_serving(timeout - (time.monotonic() - began))
        seconds = time.monotonic() - began
        exit_line = next(
            (line for line in reversed(self.log().splitlines())
             if f"{child} exited with code" in line), "",
        )  # fmt: skip
        return Recovery(child, exit_line.split("] ", 1)[-1], seconds)

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Rows of ``sql`` (``%s`` placeholders) on the stack's own database, read from
        outside the stack: what its processes committed."""
        if self.database.url is not None:
            with psycopg.connect(self.database.url, autocommit=True) as conn:
                return conn.execute(sql, params).fetchall()  # type: ignore[arg-type]
        path = self.data_dir / "atsd-alerts.sqlite3"
        with contextlib.closing(sqlite3.connect(path, timeout=30)) as conn:
            return conn.execute(sql.replace("%s", "?"), params).fetchall()

    def drop_database_connections(self) -> int:
        """Terminate every process's PostgreSQL session (a database restart, for the
        stack); returns how many there were."""
        return self.database.terminate_connections()

    # -- service -------------------------------------------------------------------------

    def post_commands(self, lines: Iterable[str]) -> dict:
        """``POST /api/v1/command`` as the administrator; ATSD's JSON answer."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.web_port}/api/v1/command",
            data="\n".join(lines).encode(),
            headers={
                "Content-Type": "text/plain",
                "Authorization": "Basic "
                + base64.b64encode(f"admin:{ADMIN_PASSWORD}".encode()).decode(),
            },
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    def entity_on(self, partition: int, prefix: str, rule: str = PROBE_RULE) -> str:
        """A fresh entity name whose window of ``rule`` lives on ``partition``."""
        for n in itertools.count():
            name = f"{prefix}-{n}"
            event = Event(SERIES, name, "m", {}, 0, 0, 0.0)
            if self._routes.partition_of(rule, Grouping(NO_TAGS), event, "m") == partition:
                return name
        raise AssertionError("unreachable")

    def send_lines(self, lines: Iterable[str], timeout: float = 30.0) -> None:
        """Send lines over one TCP connection, retrying the connection while refused."""
        payload = "".join(line + "\n" for line in lines).encode()
        deadline = time.monotonic() + timeout
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.tcp_port), timeout=5) as sock:
                    sock.sendall(payload)
                return
            except OSError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.1)

    def send_acknowledged(self, lines: list[str], timeout: float = 120.0) -> int:
        """Send ``lines`` over TCP, the last with ATSD's ``debug`` prefix, and wait for the
        listener's ``ok``: it answers once every line before it is handed off (in Redis).

        A connection that breaks or stays silent first (a killed listener, a stopping
        stack) is tried again with the same lines, whole, until ``timeout``: what a
        careful client does, since it cannot know how far the broken one got. A sample
        may therefore arrive twice; a stream of OPEN-then-CANCEL values is indifferent
        to that as long as a value is repeated before the next one is sent. Returns the
        connections it took.
        """
        *head, last = lines
        payload = "".join(f"{line}\n" for line in head) + f"debug {last}\n"
        deadline = time.monotonic() + timeout
        for attempt in itertools.count(1):
            try:
                with socket.create_connection(("127.0.0.1", self.tcp_port), timeout=5) as sock:
                    sock.settimeout(ACK_TIMEOUT_S)
                    sock.sendall(payload.encode())
                    answer = b""
                    while not answer.endswith(b"\n"):
                        received = sock.recv(256)
                        if not received:
                            break
                        answer += received
            except OSError:
                answer = b""
            if answer == b"ok\n":
                return attempt
            assert not answer, f"the listener answered {answer!r} to {last!r}"
            if time.monotonic() >= deadline:
                raise AssertionError(f"no ok for {last!r} within {timeout:.0f} s\n"
                                     f"{self.log_tail()}")  # fmt: skip
            time.sleep(0.2)
        raise AssertionError("unreachable")

    def probe(self) -> list[str]:
        """Send one probe sample per partition; returns the probe entities."""
        number = next(self._probes)
        entities = [self.entity_on(p, f"probe{number}p{p}") for p in range(self.partitions)]
        self.send_lines(f"series e:{e} m:{PROBE_METRIC}=1" for e in entities)
        return entities

    def probed(self, entities: list[str]) -> bool:
        texts = set(room_texts(self.fake))
        return all(f"[OPEN] {e}" in texts for e in entities)

    def wait_serving(self, timeout: float = 60.0, resend_s: float = 5.0) -> float:
        """Wait until the web answers and a probe went through every partition, beat and
        notify; a new probe every ``resend_s`` (one the listener took while it could not
        hand off may be lost). Returns the seconds waited."""
        began = time.monotonic()
        deadline = began + timeout
        probes: list[list[str]] = []
        next_probe = began
        while time.monotonic() < deadline:
            if time.monotonic() >= next_probe:
                probes.append(self.probe())
                next_probe = time.monotonic() + resend_s
            if any(self.probed(p) for p in probes) and self._web_answers():
                return time.monotonic() - began
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(f"the stack stopped:\n{self.log_tail()}")
            time.sleep(0.1)
        raise AssertionError(f"the stack did not serve within {timeout:.0f} s:\n{self.log_tail()}")

    def _web_answers(self) -> bool:
        try:
            url = f"http://127.0.0.1:{self.web_port}/login/"
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    def _wait(self, check: Callable[[], T], timeout: float, what: str) -> T:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = check()
            if result:
                return result
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(f"the stack stopped while waiting for {what}:\n"
                                     f"{self.log_tail()}")  # fmt: skip
            time.sleep(0.1)
        raise AssertionError(f"{what}: not within {timeout:.0f} s\n{self.log_tail()}")


@dataclass
class StreamTally:
    """Per status, how the room's messages compare with one OPEN and one CANCEL each."""

    entities: list[str]
    received: dict[str, dict[str, int]] = field(default_factory=dict)  # status → entity → n
    out_of_order: int = 0

    @property
    def expected(self) -> int:
        return len(self.entities)

    def lost(self, status: str) -> int:
        return self.expected - len(self.received.get(status, {}))

    def duplicated(self, status: str) -> int:
        return sum(n - 1 for n in self.received.get(status, {}).values() if n > 1)

    @property
    def complete(self) -> bool:
        return all(self.lost(s) == 0 for s in ("OPEN", "CANCEL"))

    def report(self) -> str:
        lost = self.lost("OPEN") + self.lost("CANCEL")
        duplicated = self.duplicated("OPEN") + self.duplicated("CANCEL")
        return (
            f"OPEN {len(self.received.get('OPEN', {}))} / CANCEL "
            f"{len(self.received.get('CANCEL', {}))} of {self.expected} / {self.expected}\n"
            f"lost: {lost}\nduplicated: {duplicated}\nout of order: {self.out_of_order}"
        )


class AlertStream:
    """OPEN then CANCEL for ``count`` entities through the listener, tallied at the room."""

    def __init__(self, stack: StackUnderTest, count: int, prefix: str = "ent") -> None:
        self.stack = stack
        self.entities = [f"{prefix}-{i}" for i in range(count)]

    def lines(self, value: float, entities: Iterable[str]) -> list[str]:
        return [f"series e:{e} m:{STREAM_METRIC}={value:g}" for e in entities]

    def open_all(self, chunk: int = 500) -> None:
        self._send(90, chunk)

    def cancel_all(self, chunk: int = 500) -> None:
        self._send(10, chunk)

    def _send(self, value: float, chunk: int) -> None:
        for start in range(0, len(self.entities), chunk):
            self.stack.send_lines(self.lines(value, self.entities[start : start + chunk]))

    def tally(self) -> StreamTally:
        tally = StreamTally(self.entities)
        wanted = set(self.entities)
        seen_open: set[str] = set()
        for text in room_texts(self.stack.fake):
            status, _, entity = text.removeprefix("[").partition("] ")
            if entity not in wanted or status not in ("OPEN", "CANCEL"):
                continue
            counts = tally.received.setdefault(status, {})
            counts[entity] = counts.get(entity, 0) + 1
            if status == "OPEN":
                seen_open.add(entity)
            elif entity not in seen_open:
                tally.out_of_order += 1
        return tally

    def steady(self, chunk: int = 4, every_s: float = 0.25, lag: int = 3) -> Sender:
        """Start sending the stream steadily in the background: every ``every_s`` one
        step opens the next ``chunk`` entities and cancels those opened ``lag`` steps
        before, so that alerts are opening, open and cancelling whenever a fault
        strikes. An entity's low value leaves only once its high value is in Redis."""
        chunks = [self.entities[i : i + chunk] for i in range(0, len(self.entities), chunk)]
        steps = []
        for step in range(len(chunks) + lag):
            opening = [self.lines(90, chunks[step])] if step < len(chunks) else []
            cancelling = [self.lines(10, chunks[step - lag])] if step >= lag else []
            steps.append(opening + cancelling)
        sender = Sender(self.stack, steps, every_s)
        sender.start()
        return sender

    def wait_received(self, status: str, timeout: float) -> StreamTally:
        """Wait until every entity's ``status`` message arrived; AssertionError if not."""
        deadline = time.monotonic() + timeout
        tally = self.tally()
        while tally.lost(status) and time.monotonic() < deadline:
            time.sleep(0.2)
            tally = self.tally()
        assert not tally.lost(status), f"{tally.lost(status)} {status} missing\n{tally.report()}"
        return tally

    def wait_complete(self, timeout: float) -> StreamTally:
        """Wait until every entity's OPEN and CANCEL arrived (or ``timeout``); the tally."""
        deadline = time.monotonic() + timeout
        tally = self.tally()
        while not tally.complete and time.monotonic() < deadline:
            time.sleep(0.5)
            tally = self.tally()
        return tally


class Sender(threading.Thread):
    """Sends ``steps`` in the background, one every ``every_s`` seconds (0: flat out).

    A step is a list of line groups; each group goes acknowledged
    (:meth:`StackUnderTest.send_acknowledged`), so a group leaves only once the ones
    before it are in Redis, and a step that has to wait (the listener or Redis down)
    delays the ones after it.
    """

    def __init__(self, stack: StackUnderTest, steps: list[list[list[str]]], every_s: float) -> None:
        super().__init__(name="stack-sender", daemon=True)
        self.stack = stack
        self.steps = steps
        self.every_s = every_s
        self.steps_done = 0
        self.resent = 0  # connections that broke before their ok and were sent again
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for groups in self.steps:
                began = time.monotonic()
                for lines in groups:
                    sent = self.stack.send_acknowledged(lines, timeout=SEND_TIMEOUT_S)
                    self.resent += sent - 1
                self.steps_done += 1
                time.sleep(max(0.0, self.every_s - (time.monotonic() - began)))
        except BaseException as exc:  # reported by finish(), in the test's thread
            self.error = exc

    def wait_steps(self, steps: int, timeout: float = 60.0) -> None:
        """Wait until ``steps`` steps were sent (and acknowledged)."""
        deadline = time.monotonic() + timeout
        while self.steps_done < steps and self.is_alive():
            assert time.monotonic() < deadline, f"{steps} steps not sent within {timeout:.0f} s"
            time.sleep(0.02)
        if self.error is not None:
            raise self.error

    def finish(self, timeout: float = SEND_TIMEOUT_S) -> None:
        """Wait until every step was sent; raises what stopped the sender."""
        self.join(timeout)
        assert not self.is_alive(), f"still sending after {timeout:.0f} s"
        if self.error is not None:
            raise self.error


def send_ballast(stack: StackUnderTest, samples: int, chunk: int = 2000) -> Sender:
    """Start sending ``samples`` low values of the stream's metric for 40 entities that
    never open an alert, flat out: work for the listener, Redis and the engine workers
    that no tally counts, so that a fault strikes them busy."""
    lines = [f"series e:ballast-{i % 40} m:{STREAM_METRIC}=10" for i in range(samples)]
    sender = Sender(stack, [[lines[i : i + chunk]] for i in range(0, samples, chunk)], 0.0)
    sender.start()
    return sender


__all__ = [
    "CHILD_KINDS",
    "STREAM_RULE",
    "AlertStream",
    "Recovery",
    "Sender",
    "StackUnderTest",
    "StreamTally",
    "fake_room",
    "room_texts",
    "running_stack",
    "send_ballast",
]
