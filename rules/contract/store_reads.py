"""The stores rule functions read, for notification texts (``db_statistic``,
``db_last``, ``last_open`` in a template): one ``StoreReads`` per process."""

from __future__ import annotations

import threading

from rules.alerts.store_reads import StoreReadsService

__all__ = ["store_reads"]

_lock = threading.Lock()
_service: StoreReadsService | None = None


def store_reads() -> StoreReadsService:
    """This process's ``StoreReads`` (rules.expressions.context), cached and bounded."""
    global _service
    with _lock:
        if _service is None:
            _service = StoreReadsService()
        return _service
