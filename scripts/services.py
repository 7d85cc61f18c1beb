"""Start the services the stack and the tests need, on free ports, and stop them again.

Used by ``make test`` (scripts/run_tests.py) and ``make run`` (scripts/run_stack.py).
Nothing here is imported by the product.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not come up within {timeout:.0f} s")


def redis_binary() -> str:
    """Debian's redis-server (a maintained Redis with security updates); none is bundled."""
    found = shutil.which("redis-server")
    if found:
        return found
    raise RuntimeError(
        "redis-server not found: install Debian's package (apt-get install redis-server, "
        "or `make system-packages`), or set REDIS_URL to a running Redis"
    )


APPENDFSYNC_CHOICES = ("everysec", "always")


class RedisServer:
    """A private redis-server, on a TCP port or a unix socket.

    Without ``appendfsync`` it keeps nothing on disk (the test suite's throw-away
    broker). With it (``everysec`` or ``always``) it keeps an append-only file in
    ``workdir`` and loads it again at the next start: the ``make run`` stack's state.
    Either way it never evicts a key (``maxmemory-policy noeviction``): a full Redis
    refuses writes instead of dropping a journal or an inbox.
    """

    def __init__(
        self, workdir: Path, *, socket_path: Path | None = None, appendfsync: str | None = None
    ) -> None:
        if appendfsync is not None and appendfsync not in APPENDFSYNC_CHOICES:
            raise ValueError(f"appendfsync is one of {APPENDFSYNC_CHOICES}, not {appendfsync!r}")
        self.workdir = workdir
        self.socket_path = socket_path
        self.appendfsync = appendfsync
        self.port = 0 if socket_path else free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        if self.socket_path:
            return f"redis+socket://{self.socket_path}"
        return f"redis://127.0.0.1:{self.port}/0"

    def prepare(self) -> None:
        """Make the directory; clear the socket file a SIGKILLed server leaves behind."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self.socket_path:
            with contextlib.suppress(FileNotFoundError):
                self.socket_path.unlink()

    def command(self) -> list[str]:
        """The redis-server command line (run ``prepare`` before each start)."""
        args = [redis_binary(), "--port", str(self.port), "--bind", "127.0.0.1"]
        args += ["--dir", str(self.workdir), "--save", "", "--maxmemory-policy", "noeviction"]
        args += ["--loglevel", "warning"]
        if self.appendfsync:
            args += ["--appendonly", "yes", "--appendfsync", self.appendfsync]
        else:
            args += ["--appendonly", "no"]
        if self.socket_path:
            args += ["--unixsocket", str(self.socket_path), "--unixsocketperm", "700"]
        return args

    def ping(self) -> bool:
        """True once the server answers (after loading its append-only file)."""
        import redis

        url = self.url.replace("redis+socket://", "unix://", 1)
        try:
            with redis.Redis.from_url(url, socket_timeout=1, retry=None) as client:
                return bool(client.ping())
        except (redis.exceptions.RedisError, OSError):  # down, or still loading
            return False

    def start(self) -> RedisServer:
        self.prepare()
        self.process = subprocess.Popen(
            self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        wait_until(self.ping, 30, "redis-server")
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if self.socket_path:
            with contextlib.suppress(FileNotFoundError):
                self.socket_path.unlink()


def _postgres_bin() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not candidates:
        raise RuntimeError(
            "PostgreSQL server binaries not found (apt-get install postgresql); "
            "or set DATABASE_URL to a PostgreSQL server"
        )
    return Path(candidates[-1]).parent


class PostgresCluster:
    """A throw-away PostgreSQL cluster with trust auth on a free port."""

    def __init__(self) -> None:
        self.bin = _postgres_bin()
        self.root = Path(tempfile.mkdtemp(prefix="atsd-pg-"))
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0  # initdb refuses to run as root

    def _run(self, *args: str) -> None:
        command = list(args)
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> PostgresCluster:
        if self.as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        data = self.root / "data"
        self._run(str(self.bin / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                  "-E", "UTF8")  # fmt: skip
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(str(self.bin / "pg_ctl"), "-D", str(data), "-l", str(self.root / "log"),
                  "-o", options, "-w", "start")  # fmt: skip
        return self

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.root / "data"), "-m", "fast",
                      "-w", "stop")  # fmt: skip
        shutil.rmtree(self.root, ignore_errors=True)
