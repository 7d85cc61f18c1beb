"""Real services for tests: Redis (broker), Celery workers, users with roles.

``make test`` starts Redis and passes REDIS_URL; a developer running pytest directly
gets a private redis-server started here. A missing service fails the test loudly.
"""

from __future__ import annotations

import contextlib
import os
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
