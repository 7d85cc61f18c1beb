"""Opt-in timing of the pipeline's stages, summed per process and published to Redis.

With ``PIPELINE_PROFILE`` on (``bench_pipeline --profile`` turns it on for the stack it
starts), each process adds the wall time it spends in a stage, the calls and the items
they handled to counters in its own memory; a daemon thread adds them to one Redis
hash (``atsd:profile:stages``) twice a second, where the benchmark reads the sums of
every process. With it off (the default) a stage costs its caller one test of
``ENABLED`` per batch, and nothing else runs.

A stage is measured around a batch, never a sample::

    started = stage_timing.start()
    ...  # the stage's work on a batch of n items
    stage_timing.stop("routing", started, n)

``start`` returns 0 when profiling is off and ``stop`` then returns at once, so the
calls may stay in the hot paths.
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from redis import Redis

from atsd_alerts.redis import client, key

log = logging.getLogger(__name__)

ENABLED: bool = bool(getattr(settings, "PIPELINE_PROFILE", False))
PUBLISH_EVERY_S = 0.5
FIELDS = ("ns", "calls", "items")

_lock = threading.Lock()
_pending: dict[str, list[int]] = {}
_publisher: threading.Thread | None = None


def profile_key() -> str:
    """The Redis hash of the sums: fields ``<stage>:ns``, ``<stage>:calls``, ``<stage>:items``."""
    return key("profile", "stages")


def start() -> int:
    """A start stamp for :func:`stop` (0 when profiling is off)."""
    return time.perf_counter_ns() if ENABLED else 0


def stop(stage: str, started: int, items: int = 0) -> None:
    """Count the time since ``started`` (from :func:`start`) and ``items`` to ``stage``."""
    if not started:
        return
    elapsed = time.perf_counter_ns() - started
    with _lock:
        counters = _pending.get(stage)
        if counters is None:
            counters = _pending[stage] = [0, 0, 0]
            _start_publisher()
        counters[0] += elapsed
        counters[1] += 1
        counters[2] += items


def _start_publisher() -> None:
    global _publisher
    if _publisher is None:
        _publisher = threading.Thread(target=_publish_forever, name="stage-timing", daemon=True)
        _publisher.start()


def publish() -> None:
    """Add this process's counters to the Redis hash and start them again from zero."""
    global _pending
    with _lock:
        taken, _pending = _pending, {}
    if not taken:
        return
    pipe = client().pipeline(transaction=False)
    for stage, values in taken.items():
        for name, value in zip(FIELDS, values, strict=True):
            pipe.hincrby(profile_key(), f"{stage}:{name}", value)
    pipe.execute()


def _publish_forever() -> None:
    while True:
        time.sleep(PUBLISH_EVERY_S)
        try:
            publish()
        except Exception as exc:  # a profile never stops the pipeline
            log.warning("stage timings not published: %s", exc)


def read_totals(redis: Redis) -> dict[str, dict[str, int]]:
    """The sums every process published to ``redis``: stage → {ns, calls, items}."""
    raw: dict[bytes, bytes] = redis.hgetall(profile_key())  # type: ignore[assignment]
    totals: dict[str, dict[str, int]] = {}
    for field, value in raw.items():
        stage, name = field.decode().rsplit(":", 1)
        totals.setdefault(stage, dict.fromkeys(FIELDS, 0))[name] = int(value)
    return totals


def reset(redis: Redis) -> None:
    """Forget the published sums (the benchmark does before the phase it profiles)."""
    redis.delete(profile_key())
