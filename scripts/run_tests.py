"""Run the whole pytest suite with real services: ``make test``.

* DATABASE_URL given → one run on it; else two runs: SQLite and PostgreSQL (the server on
  127.0.0.1:5432 when one listens there, else a private cluster).
* REDIS_URL given → every run uses it, one run after the other; else each run gets a
  private redis-server on a free port and its own DATA_DIR, and the runs go side by side
  (most of a run's time is spent waiting on workers, browsers and sockets, not on a CPU).
  Each output line is prefixed with its run's name; TEST_RUNS_IN_PARALLEL=false runs
  them one after the other.
Extra arguments go to pytest (``make test PYTEST_ARGS='-k ingest'``).
"""

import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from services import PostgresCluster, RedisServer, port_open

ROOT = Path(__file__).resolve().parent.parent
# The slowest tests of each run are listed at its end: where the suite's time goes.
DURATIONS = ["--durations=15", "--durations-min=5"]


def start_run(label: str, env: dict[str, str], args: list[str]) -> subprocess.Popen:
    command = [sys.executable, "-m", "pytest", *DURATIONS, *args]
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )


def relay(label: str, process: subprocess.Popen, lock: threading.Lock) -> None:
    """Copy a run's output to ours, line by line, each line prefixed with the run's name."""
    assert process.stdout is not None
    for line in process.stdout:
        with lock:
            sys.stdout.write(f"[{label}] {line}")
            sys.stdout.flush()


def run_all(runs: list[tuple[str, dict[str, str]]], args: list[str], parallel: bool) -> list[str]:
    """Start the runs (side by side or in turn); the labels of those that failed."""
    lock = threading.Lock()
    failures: list[str] = []
    batches = [runs] if parallel else [[run] for run in runs]
    for batch in batches:
        started = []
        for label, env in batch:
            print(f"\n=== test run: {label} ===", flush=True)
            process = start_run(label, env, args)
            relayer = threading.Thread(target=relay, args=(label, process, lock), daemon=True)
            relayer.start()
            started.append((label, process, relayer))
        for label, process, relayer in started:
            code = process.wait()
            relayer.join()
            print(f"=== test run {label}: exit {code} ===", flush=True)
            if code != 0:
                failures.append(f"{label} (exit {code})")
    return failures


def main(args: list[str]) -> int:
    env = dict(os.environ)
    started: list = []
    workdir = Path(tempfile.mkdtemp(prefix="atsd-test-"))
    shared_redis = env.get("REDIS_URL")
    parallel = not shared_redis and env.get("TEST_RUNS_IN_PARALLEL", "true").lower() != "false"
    try:
        databases: list[tuple[str, str | None]] = []
        if env.get("DATABASE_URL"):
            databases.append((env["DATABASE_URL"].split(":", 1)[0], env["DATABASE_URL"]))
        else:
            databases.append(("sqlite", None))
            if port_open("127.0.0.1", 5432):
                databases.append(("postgresql", "postgres://postgres@127.0.0.1:5432/postgres"))
            else:
                cluster = PostgresCluster().start()
                started.append(cluster)
                databases.append(("postgresql", cluster.url))
        runs: list[tuple[str, dict[str, str]]] = []
        for label, url in databases:
            run_env = dict(env)
            if url:
                run_env["DATABASE_URL"] = url
            else:
                run_env.pop("DATABASE_URL", None)
            data_root = Path(env["DATA_DIR"]) if env.get("DATA_DIR") else workdir
            run_env["DATA_DIR"] = str(data_root / f"data-{label}")
            if not shared_redis:
                redis = RedisServer(workdir / f"redis-{label}").start()
                started.append(redis)
                run_env["REDIS_URL"] = redis.url
            runs.append((label, run_env))
        failures = run_all(runs, args, parallel)
        if failures:
            print(f"\nFAILED runs: {', '.join(failures)}", flush=True)
            return 1
        print(f"\nall test runs passed: {', '.join(label for label, _ in runs)}", flush=True)
        return 0
    finally:
        for service in reversed(started):
            service.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
