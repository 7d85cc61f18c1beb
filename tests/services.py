"""Real services for tests: Redis (broker), Celery workers, users with roles.

``make test`` starts Redis and passes REDIS_URL; a developer running pytest directly
gets a private redis-server started here. A missing service fails the test loudly.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from services import RedisServer  # noqa: E402


@contextlib.contextmanager
def redis_service() -> Iterator[str]:
    url = os.environ.get("REDIS_URL")
    server = None
    if not url:
        server = RedisServer(Path(tempfile.mkdtemp(prefix="atsd-redis-"))).start()
        url = server.url
    try:
        client = redis.Redis.from_url(url)
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        raise RuntimeError(f"Redis at {url} is not reachable: {exc}") from exc
    try:
        yield url
    finally:
        if server is not None:
            server.stop()


def celery_worker_process(
    queues: str, log_path: Path, *, pool: str = "solo", concurrency: int = 1, **env: str
) -> subprocess.Popen:
    """``celery worker -Q queues -P pool -c concurrency`` as a child process, as ``make
    run`` starts one; ``env`` adds to this process's environment (database, Redis, ...)."""
    celery = str(Path(sys.executable).parent / "celery")
    log = open(log_path, "a")  # noqa: SIM115 - handed to the child, closed with the test
    return subprocess.Popen(
        [celery, "-A", "atsd_alerts", "worker", "-Q", queues, "-P", pool, "-c", str(concurrency),
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO"],
        cwd=ROOT, env=dict(os.environ, **env), stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
