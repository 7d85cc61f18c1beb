"""Run the whole pytest suite with real services: ``make test``.

* REDIS_URL given → used; else a private redis-server on a free port.
* DATABASE_URL given → one run on it; else two runs: SQLite, then PostgreSQL
  (the server on 127.0.0.1:5432 when one listens there, else a private cluster).
Extra arguments go to pytest (``make test PYTEST_ARGS='-k ingest'``).
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from services import PostgresCluster, RedisServer, port_open

ROOT = Path(__file__).resolve().parent.parent


def pytest_run(label: str, env: dict[str, str], args: list[str]) -> int:
    print(f"\n=== test run: {label} ===", flush=True)
    command = [sys.executable, "-m", "pytest", *args]
    return subprocess.call(command, cwd=ROOT, env=env)


def main(args: list[str]) -> int:
    env = dict(os.environ)
    started: list = []
    workdir = Path(tempfile.mkdtemp(prefix="atsd-test-"))
    env.setdefault("DATA_DIR", str(workdir / "data"))
    try:
        if not env.get("REDIS_URL"):
            redis = RedisServer(workdir / "redis").start()
            started.append(redis)
            env["REDIS_URL"] = redis.url
        runs: list[tuple[str, str | None]] = []
        if env.get("DATABASE_URL"):
            runs.append((env["DATABASE_URL"].split(":", 1)[0], env["DATABASE_URL"]))
        else:
            runs.append(("sqlite", None))
            if port_open("127.0.0.1", 5432):
                runs.append(("postgresql", "postgres://postgres@127.0.0.1:5432/postgres"))
            else:
                cluster = PostgresCluster().start()
                started.append(cluster)
                runs.append(("postgresql", cluster.url))
        failures = []
        for label, url in runs:
            run_env = dict(env)
            if url:
                run_env["DATABASE_URL"] = url
            else:
                run_env.pop("DATABASE_URL", None)
            code = pytest_run(label, run_env, args)
            if code != 0:
                failures.append(f"{label} (exit {code})")
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
