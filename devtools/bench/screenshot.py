"""The screenshot bench (``python manage.py bench_screenshot``): web-driver cold start,
warm p50/p95, PNG size.

Serves the portal pages from an in-process live server, writes an hour of series
history for the chart, then times the pool: the first shot (browser start + page
load) and ``--shots`` warm shots (page load + screenshot in the running browser).
Needs Redis at REDIS_URL (``make run`` starts it); prints ``label: value unit``.
"""

from __future__ import annotations

import statistics
import time

from django.conf import settings
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.management.base import CommandError
from django.test.testcases import LiveServerThread

from notifications.portals.catalog import DEFAULT, by_name
from notifications.screenshots.capture import take
from notifications.screenshots.pool import reset_pool
from rules.events import SERIES, Event
from rules.history import recorder


def _write_history(now: int) -> None:
    """An hour of one series for the chart, in the series history."""
    events = [
        Event(SERIES, "bench-entity", "bench_cpu", {}, now - i * 20_000, now, 50 + i % 17)
        for i in range(180)
    ]
    try:
        recorder.write(events, now_ms=now)
    except Exception as exc:
        raise CommandError(f"Redis at {settings.REDIS_URL} is not reachable: {exc}") from exc


def _live_server() -> LiveServerThread:
    server = LiveServerThread("127.0.0.1", StaticFilesHandler, port=0)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise CommandError(f"live server failed: {server.error}")
    return server


def run(shots: int) -> list[str]:
    """Time one cold and ``shots`` warm screenshots; return the ``label: value unit`` lines.

    Raises CommandError when Redis or the live server is unavailable.
    """
    _write_history(int(time.time() * 1000))
    server = _live_server()
    settings.PORTAL_BASE_URL = f"http://127.0.0.1:{server.port}"
    portal = by_name(DEFAULT)
    assert portal is not None
    params = {"metric": "bench_cpu", "entity": "bench-entity", "threshold": "60"}
    reset_pool()
    try:
        started = time.perf_counter()
        png = take(portal, params)
        cold = time.perf_counter() - started
        warm = []
        for _ in range(shots):
            started = time.perf_counter()
            png = take(portal, params)
            warm.append(time.perf_counter() - started)
    finally:
        reset_pool()
        server.terminate()
    warm.sort()
    p95 = warm[min(len(warm) - 1, round(0.95 * (len(warm) - 1)))]
    return [
        f"cold start: {cold:.2f} s",
        f"warm p50: {statistics.median(warm):.3f} s",
        f"warm p95: {p95:.3f} s",
        f"shots: {len(warm)} shots",
        f"png size: {len(png) / 1024:.1f} KiB",
    ]
