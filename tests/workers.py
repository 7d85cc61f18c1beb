"""In-process Celery workers for the tests, each one stopped for sure before the next starts.

Celery's ``start_worker`` gives a worker thread ``shutdown_timeout`` seconds to finish its
task and then raises, leaving the thread running and the worker module's
``state.should_terminate`` set, so that every worker started afterwards stops at once and
every later test waits out its timeout. A slow machine (a screenshot that takes longer
than usual) then costs the whole run. Here a worker late to stop gets a longer grace with
its stack printed; one still running after it ends the session with that stack, instead
of turning every later test into a timeout.
"""

from __future__ import annotations

import sys
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from celery.worker import state

from atsd_alerts.celery import app as celery_app

LATE_STOP_GRACE_S = 120.0


def _worker_threads(worker: Any) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if getattr(t, "_target", None) == worker.start]


def _stack(thread: threading.Thread) -> str:
    frame = sys._current_frames().get(thread.ident or -1)
    return "".join(traceback.format_stack(frame)) if frame is not None else "(no frame)"


def _outlive(worker: Any, error: RuntimeError) -> None:
    """Wait for a worker thread that outlived its shutdown timeout, or end the session."""
    threads = _worker_threads(worker)
    for thread in threads:
        print(f"\n{error}\nits stack:\n{_stack(thread)}", file=sys.stderr, flush=True)
        thread.join(LATE_STOP_GRACE_S)
        if thread.is_alive():
            pytest.exit(
                f"a Celery test worker is still running {LATE_STOP_GRACE_S:.0f} s after its "
                f"shutdown timeout; later tests could not run a worker. Its stack:\n"
                f"{_stack(thread)}",
                returncode=1,
            )
    state.should_terminate = None


@contextmanager
def running_worker(queues: list[str], shutdown_timeout: float = 30.0) -> Iterator[Any]:
    """A real Celery worker (solo pool) consuming ``queues`` in a thread of this process."""
    started: list[Any] = []
    try:
        with start_worker(
            celery_app,
            pool="solo",
            concurrency=1,
            queues=queues,
            perform_ping_check=False,
            loglevel="WARNING",
            shutdown_timeout=shutdown_timeout,
        ) as worker:
            started.append(worker)
            yield worker
    except RuntimeError as error:
        if not started or "failed to exit" not in str(error):
            raise
        _outlive(started[0], error)
