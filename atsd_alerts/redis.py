"""One Redis connection pool per process for our own keys (not Celery's): engine
partitions, series history, delivery claims and counters."""

import threading

import redis
from django.conf import settings

_lock = threading.Lock()
_clients: dict[str, redis.Redis] = {}


def client() -> redis.Redis:
    """A client for the broker's Redis; reused, thread-safe (redis-py pools connections)."""
    url = settings.REDIS_URL
    found = _clients.get(url)
    if found is None:
        with _lock:
            found = _clients.get(url)
            if found is None:
                # redis-py spells the unix-socket scheme unix://; kombu spells it redis+socket://
                found = redis.Redis.from_url(url.replace("redis+socket://", "unix://", 1))
                _clients[url] = found
    return found


def key(*parts: object) -> str:
    return "atsd:" + ":".join(str(p) for p in parts)
