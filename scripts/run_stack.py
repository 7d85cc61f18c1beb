"""``make run``: the whole stack on one machine with embedded defaults.

Starts (unless REDIS_URL names a Redis) an embedded redis-server on a unix socket in
the data directory, migrates, creates the administrator on first start, then runs
the web UI + API (gunicorn), the TCP command listener, one engine worker per
partition, the notify worker and beat. Ctrl-C (or SIGTERM) stops every process it
started; a dying process stops the stack with its name and exit code.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import contextlib

from services import RedisServer, port_open, wait_until

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
BIN = Path(PY).parent


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, "").strip() or default


class Stack:
    def __init__(self) -> None:
        self.env = dict(os.environ)
        self.env.setdefault("PYTHONUNBUFFERED", "1")
        self.data_dir = Path(env_str("DATA_DIR", str(ROOT / "var"))).resolve()
        self.env["DATA_DIR"] = str(self.data_dir)
        self.web_host = env_str("WEB_HOST", "127.0.0.1")
        self.web_port = int(env_str("WEB_PORT", "8088"))
        self.tcp_port = int(env_str("TCP_LISTENER_PORT", "8081"))
        self.partitions = int(env_str("ENGINE_PARTITIONS", "2"))
        self.children: dict[str, subprocess.Popen] = {}
        self.redis: RedisServer | None = None
        self.stopping = False

    def manage(self, *args: str) -> None:
        subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=self.env, check=True)

    def spawn(self, name: str, args: list[str]) -> None:
        process = subprocess.Popen(
            args,
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # our own signal handling stops each group in order
            text=True,
            bufsize=1,
        )
        self.children[name] = process
        threading.Thread(target=self._relay, args=(name, process), daemon=True).start()

    @staticmethod
    def _relay(name: str, process: subprocess.Popen) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            sys.stdout.write(f"{name:>9} | {line}")
            sys.stdout.flush()

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        for port, what in ((self.web_port, "web"), (self.tcp_port, "TCP listener")):
            if port_open("127.0.0.1", port):
                sys.exit(f"port {port} for the {what} is in use: is another `make run` running?")
        if not self.env.get("REDIS_URL"):
            socket_path = self.data_dir / "redis.sock"
            self.redis = RedisServer(self.data_dir / "redis", socket_path=socket_path).start()
            self.env["REDIS_URL"] = self.redis.url
            print(f"embedded Redis on {socket_path}", flush=True)
        self.manage("migrate", "--noinput", "-v0")
        self.manage("ensure_admin")
        celery = [str(BIN / "celery"), "-A", "atsd_alerts"]
        quiet = ["--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO"]
        bind = f"{self.web_host}:{self.web_port}"
        self.spawn("web", [str(BIN / "gunicorn"), "atsd_alerts.wsgi", "-b", bind, "-w", "2",
                           "--threads", "4", "--graceful-timeout", "5"])  # fmt: skip
        self.spawn("listener", [PY, "manage.py", "listen_tcp", "--port", str(self.tcp_port)])
        for partition in range(self.partitions):
            self.spawn(f"engine.{partition}", [*celery, "worker", "-Q", f"engine.{partition}",
                       "-P", "solo", "-c", "1", "-n", f"engine{partition}@%h", *quiet])  # fmt: skip
        self.spawn("notify", [*celery, "worker", "-Q", "notify", "-P", "threads", "-c", "4",
                              "-n", "notify@%h", *quiet])  # fmt: skip
        schedule = str(self.data_dir / "celerybeat-schedule")
        self.spawn("beat", [*celery, "beat", "-s", schedule, "-l", "INFO"])
        wait_until(lambda: port_open("127.0.0.1", self.web_port), 30, "the web server")
        print(
            f"\natsd-alerts is running:\n"
            f"  web UI and API:   http://{bind}/   (log in as shown above)\n"
            f"  TCP commands:     {self.web_host}:{self.tcp_port}\n"
            f"  Ctrl-C stops everything.\n",
            flush=True,
        )

    def watch(self) -> int:
        while not self.stopping:
            for name, process in self.children.items():
                code = process.poll()
                if code is not None:
                    print(f"{name} exited with code {code}; stopping the stack", flush=True)
                    return 1
            time.sleep(0.5)
        return 0

    def stop(self) -> None:
        self.stopping = True
        for process in self.children.values():
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in self.children.values():
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if self.redis is not None:
            self.redis.stop()
        print("stopped", flush=True)


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
