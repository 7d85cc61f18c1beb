"""``make run``: the whole stack on one machine with embedded defaults, supervised.

Starts (unless REDIS_URL names a Redis) an embedded redis-server on a unix socket in
the data directory, keeping an append-only file there, checks that the Redis keeps
what it is given, migrates, creates the administrator on first start, then runs the
web UI + API (gunicorn), the TCP command listener (``TCP_LISTENERS`` of them sharing
its port), one engine worker per partition, the notify worker and beat.

Every process is supervised: one that dies is logged with its exit code and started
again after a back-off that doubles with each death in the last minute. The stack
stops on Ctrl-C / SIGTERM (producers first, Redis last), or when one process dies
``CRASH_LOOP_DEATHS`` times within ``CRASH_LOOP_WINDOW_S`` (a crash loop that
restarting cannot cure), with exit code 1.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from services import APPENDFSYNC_CHOICES, RedisServer, port_open, wait_until

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
BIN = Path(PY).parent

CRASH_LOOP_DEATHS = 5
CRASH_LOOP_WINDOW_S = 60.0
FIRST_BACKOFF_S = 0.5  # the first restart comes at once: the stack serves again quickly
MAX_BACKOFF_S = 8.0
STOP_GRACE_S = 15.0
POLL_S = 0.2
ROOT_WARNING = "You're running the worker with superuser privileges"

# Stop order: what accepts data first (it hands off what it holds), then what
# consumes it, Redis last so that every process can still write to it while stopping.
PRODUCERS, CONSUMERS, BROKER = 0, 1, 2


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, "").strip() or default


def say(message: str) -> None:
    """A line of the supervisor's own, in the children's ``name | line`` layout."""
    stamp = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    sys.stdout.write(f"{'stack':>9} | [{stamp}] {message}\n")
    sys.stdout.flush()


def listener_name(index: int, count: int) -> str:
    """``listener`` when it is the only one, else ``listener.0``, ``listener.1``, ..."""
    return "listener" if count == 1 else f"listener.{index}"


def describe_exit(code: int) -> str:
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"code {code} ({signal.Signals(-code).name})"
    return f"code {code}"


def backoff_s(deaths: int) -> float:
    """Delay before restarting a process that died ``deaths`` times in the window."""
    return min(MAX_BACKOFF_S, FIRST_BACKOFF_S * 2 ** max(0, deaths - 1))


@dataclass
class Child:
    """One supervised process: its command, its current process, its recent deaths."""

    name: str
    argv: list[str]
    stop_phase: int
    process: subprocess.Popen | None = None
    deaths: deque[float] = field(default_factory=deque)
    restart_at: float | None = None
    before_start: Callable[[], None] | None = None  # e.g. Redis: clear a stale socket

    def record_death(self, now: float) -> int:
        """Note a death at ``now``; returns the deaths within the crash-loop window."""
        self.deaths.append(now)
        while self.deaths and now - self.deaths[0] > CRASH_LOOP_WINDOW_S:
            self.deaths.popleft()
        return len(self.deaths)


class Stack:
    def __init__(self) -> None:
        self.env = dict(os.environ)
        self.env.setdefault("PYTHONUNBUFFERED", "1")
        # Celery warns in 8 lines at every worker start that it runs as root (as the
        # development machines and containers do); the supervisor says it once instead.
        self.env.setdefault("PYTHONWARNINGS", f"ignore:{ROOT_WARNING}")
        self.data_dir = Path(env_str("DATA_DIR", str(ROOT / "var"))).resolve()
        self.env["DATA_DIR"] = str(self.data_dir)
        self.web_host = env_str("WEB_HOST", "127.0.0.1")
        self.web_port = int(env_str("WEB_PORT", "8088"))
        self.tcp_port = int(env_str("TCP_LISTENER_PORT", "8081"))
        # The listener keeps handing off what it read for up to TCP_STOP_TIMEOUT seconds
        # after SIGTERM (Redis briefly away): its phase waits that long and a little more.
        self.producer_grace_s = max(STOP_GRACE_S, int(env_str("TCP_STOP_TIMEOUT", "30")) + 5.0)
        self.partitions = int(env_str("ENGINE_PARTITIONS", "2"))
        self.listeners = int(env_str("TCP_LISTENERS", "1"))
        self.appendfsync = env_str("REDIS_APPENDFSYNC", "everysec")
        self.children: list[Child] = []
        self.stopping = False

    # -- processes ---------------------------------------------------------------------

    def manage(self, *args: str) -> None:
        subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=self.env, check=True)

    def launch(self, child: Child) -> None:
        if child.before_start is not None:
            child.before_start()
        process = subprocess.Popen(
            child.argv,
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: stopped, or cleaned after a crash, whole
            text=True,
            bufsize=1,
        )
        child.process = process
        child.restart_at = None
        threading.Thread(target=self._relay, args=(child.name, process), daemon=True).start()
        say(f"started {child.name} (pid {process.pid})")

    def add(self, name: str, argv: list[str], stop_phase: int, **extra: object) -> Child:
        child = Child(name, argv, stop_phase, **extra)  # type: ignore[arg-type]
        self.children.append(child)
        self.launch(child)
        return child

    @staticmethod
    def _relay(name: str, process: subprocess.Popen) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            sys.stdout.write(f"{name:>9} | {line}")
            sys.stdout.flush()

    @staticmethod
    def _kill_group(process: subprocess.Popen) -> None:
        """SIGKILL whatever is left of a dead child's group (gunicorn workers, browsers):
        they would hold its port or its pipe."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)

    # -- start ---------------------------------------------------------------------------

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        for port, what in ((self.web_port, "web"), (self.tcp_port, "TCP listener")):
            if port_open("127.0.0.1", port):
                sys.exit(f"port {port} for the {what} is in use: is another `make run` running?")
        if self.listeners < 1:
            sys.exit(f"TCP_LISTENERS must be at least 1, not {self.listeners}")
        if os.geteuid() == 0:
            say("running as root: Celery advises an unprivileged user for its workers")
        if not self.env.get("REDIS_URL"):
            self._start_embedded_redis()
        try:
            self.manage("check_redis")
        except subprocess.CalledProcessError:
            sys.exit("the stack does not start on this Redis (see above)")
        self.manage("migrate", "--noinput", "-v0")
        self.manage("ensure_admin")
        # -q: no banner (configuration, task list) per worker: start, stop, errors and
        # retries still log.
        celery = [str(BIN / "celery"), "-A", "atsd_alerts", "-q"]
        quiet = ["--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO"]
        bind = f"{self.web_host}:{self.web_port}"
        # --preload: the application (and its Redis check) loads once, in the master, so
        # a refusal stops gunicorn instead of failing every worker it forks.
        self.add("web", [str(BIN / "gunicorn"), "atsd_alerts.wsgi", "-b", bind, "-w", "2",
                         "--threads", "4", "--graceful-timeout", "5", "--preload",
                         "--no-control-socket"], PRODUCERS)  # fmt: skip
        # TCP_LISTENERS > 1: that many listeners share the port (SO_REUSEPORT, see
        # listen_tcp), each restarted on its own.
        listen = [PY, "manage.py", "listen_tcp", "--port", str(self.tcp_port)]
        for index in range(self.listeners):
            self.add(listener_name(index, self.listeners), listen, PRODUCERS)
        for partition in range(self.partitions):
            self.add(f"engine.{partition}", [*celery, "worker", "-Q", f"engine.{partition}",
                     "-P", "solo", "-c", "1", "-n", f"engine{partition}@%h", *quiet],
                     CONSUMERS)  # fmt: skip
        self.add("notify", [*celery, "worker", "-Q", "notify", "-P", "threads", "-c", "4",
                            "-n", "notify@%h", *quiet], CONSUMERS)  # fmt: skip
        schedule = str(self.data_dir / "celerybeat-schedule")
        self.add("beat", [*celery, "beat", "-s", schedule, "-l", "INFO"], PRODUCERS)
        wait_until(lambda: port_open("127.0.0.1", self.web_port), 60, "the web server")
        print(
            f"\natsd-alerts is running:\n"
            f"  web UI and API:   http://{bind}/   (log in as shown above)\n"
            f"  TCP commands:     {self.web_host}:{self.tcp_port}\n"
            f"  Ctrl-C stops everything.\n",
            flush=True,
        )

    def _start_embedded_redis(self) -> None:
        if self.appendfsync not in APPENDFSYNC_CHOICES:
            sys.exit(f"REDIS_APPENDFSYNC must be one of {', '.join(APPENDFSYNC_CHOICES)}")
        socket_path = self.data_dir / "redis.sock"
        redis = RedisServer(self.data_dir / "redis", socket_path=socket_path,
                            appendfsync=self.appendfsync)  # fmt: skip
        self.env["REDIS_URL"] = redis.url
        # A restarted server loads the same append-only file.
        self.add("redis", redis.command(), BROKER, before_start=redis.prepare)
        wait_until(redis.ping, 60, "the embedded redis-server")
        say(
            f"embedded Redis on {socket_path}, append-only file in {redis.workdir} "
            f"(appendfsync {self.appendfsync})"
        )

    # -- supervision --------------------------------------------------------------------

    def watch(self) -> int:
        """Restart what dies until Ctrl-C (0) or a crash loop (1)."""
        while not self.stopping:
            now = time.monotonic()
            for child in self.children:
                if child.process is None:
                    if child.restart_at is not None and now >= child.restart_at:
                        self.launch(child)
                    continue
                code = child.process.poll()
                if code is None or self.stopping:
                    continue
                self._kill_group(child.process)
                deaths = child.record_death(now)
                if deaths >= CRASH_LOOP_DEATHS:
                    say(
                        f"{child.name} exited with {describe_exit(code)}: {deaths} deaths "
                        f"within {CRASH_LOOP_WINDOW_S:.0f} s, a crash loop; stopping the stack"
                    )
                    return 1
                delay = backoff_s(deaths)
                say(
                    f"{child.name} exited with {describe_exit(code)}; restarting in "
                    f"{delay:.1f} s ({deaths} of {CRASH_LOOP_DEATHS} deaths allowed "
                    f"within {CRASH_LOOP_WINDOW_S:.0f} s)"
                )
                child.process = None
                child.restart_at = now + delay
            time.sleep(POLL_S)
        return 0

    def stop(self) -> None:
        self.stopping = True
        for phase in (PRODUCERS, CONSUMERS, BROKER):
            running = [
                c.process
                for c in self.children
                if c.stop_phase == phase and c.process is not None and c.process.poll() is None
            ]
            for process in running:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
            grace = self.producer_grace_s if phase == PRODUCERS else STOP_GRACE_S
            deadline = time.monotonic() + grace
            for process in running:
                try:
                    process.wait(max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    say(f"pid {process.pid} did not stop within {grace:.0f} s; killed")
                    self._kill_group(process)
                    process.wait()
        say("stopped")


def main() -> int:
    stack = Stack()

    def on_signal(signum: int, frame: object) -> None:
        stack.stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        stack.start()
        return stack.watch()
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
