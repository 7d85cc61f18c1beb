"""A test worker that is slow to stop costs its own test at most, never the tests after it."""

from __future__ import annotations

import time

import pytest

from atsd_alerts.celery import app as celery_app
from atsd_alerts.redis import client
from tests.engine_helpers import poll
from tests.workers import running_worker

pytestmark = pytest.mark.integration

QUEUE = "tests.naps"


@celery_app.task(name="tests.nap")
def nap(key: str, seconds: float) -> None:
    client().set(f"{key}:started", 1)
    time.sleep(seconds)
    client().set(f"{key}:done", 1)


def test_a_worker_late_to_stop_leaves_the_next_worker_working(broker):
    with running_worker([QUEUE], shutdown_timeout=0.2):
        nap.apply_async(args=["long", 1.5], queue=QUEUE)
        poll(lambda: client().get("long:started"), timeout=10, what="the long nap started")
    assert client().get("long:done"), "the late worker was waited for, not abandoned"

    with running_worker([QUEUE], shutdown_timeout=10):
        nap.apply_async(args=["short", 0], queue=QUEUE)
        poll(lambda: client().get("short:done"), timeout=10, what="the next worker ran its task")
