"""Reading a table into a per-process cache at most every so often, one thread at a time.

Evaluation asks these caches on every sample, so the check that nothing is due is one
clock read and a comparison; the reload itself runs under a lock, once for all threads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class PeriodicReload:
    """Calls ``load`` when ``every_s`` seconds have passed since the last load.

    ``load`` returns whether it read anything; a failed load is tried again after
    ``retry_s`` seconds while what was read last stays in use. The first call loads.
    """

    def __init__(self, load: Callable[[], bool], every_s: float, retry_s: float) -> None:
        self._load = load
        self._every_s = every_s
        self._retry_s = retry_s
        self._due = 0.0
        self._lock = threading.Lock()

    def refresh(self) -> None:
        """Load when due."""
        now = time.monotonic()
        if now < self._due:
            return
        with self._lock:
            if now < self._due:
                return
            self._due = now + (self._every_s if self._load() else self._retry_s)

    def expire(self) -> None:
        """Load on the next ``refresh`` (after an edit, in tests)."""
        self._due = 0.0
