"""The engine a backtest runs: the partition's engine, fed reads only.

It reads what a partition reads (the catalogue, entity groups, the stores, the series
and alert history) and writes nothing: triggers stay in memory (no alert, no history
row, no delivery), rule errors stay in the engine's own list, and the named locks of
``lock()``/``unlock()`` live in this sandbox instead of Redis. Derived commands are
rendered into the triggers and never ingested.
"""

from __future__ import annotations

import time

from django.conf import settings

from rules import limits
from rules.alerts.store_reads import StoreReadsService
from rules.engine.engine import Engine
from rules.partition.catalog_cache import CatalogCache
from rules.partition.group_cache import GroupCache
from rules.stores.service import DatabaseStores


class SandboxStoreReads(StoreReadsService):
    """``StoreReads`` whose named locks are held in memory: a backtest (or a message
    preview) that calls ``lock()`` takes no lock a running rule could see. Times are
    the sandbox's clock (``now_ms``), which the replay moves with the samples."""

    def __init__(self) -> None:
        super().__init__()
        self._locks: dict[str, int] = {}  # key → expiry (ms)
        self.now_ms = int(time.time() * 1000)

    def lock(self, key: str, ttl_ms: int) -> bool:
        expiry = self._locks.get(key)
        if expiry is not None and expiry > self.now_ms:
            return False
        self._locks[key] = self.now_ms + max(1, ttl_ms)
        return True

    def unlock(self, key: str) -> bool:
        expiry = self._locks.pop(key, None)
        return expiry is not None and expiry > self.now_ms


def sandbox_engine(max_windows: int, reads: SandboxStoreReads) -> Engine:
    """An engine configured as the partitions' (``PartitionHost.new_engine``), holding at
    most ``max_windows`` windows a rule (the lower of it and ``RULE_MAX_WINDOWS``)."""
    catalog = CatalogCache()
    return Engine(
        zone=settings.TIME_ZONE,
        entity_lookup=catalog.entity,
        metric_lookup=catalog.metric,
        stores=DatabaseStores(),
        group_member=GroupCache(catalog.entity).member,
        cancel_on_rule_change=settings.CANCEL_ON_RULE_CHANGE,
        window_limits=limits.window_limits(),
        max_windows=min(max_windows, limits.max_windows()),
        store_reads=reads,
    )
