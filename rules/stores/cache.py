"""A small bounded cache with a time to live, shared by the store readers."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from django.db import Error as DatabaseError

from rules.expressions.stores import StoreUnavailable
from rules.faults import describe

V = TypeVar("V")


class TtlCache(Generic[V]):
    """At most ``max_entries`` answers, each reused for ``ttl_s`` seconds, least recently
    used dropped first. A load that fails with a database error raises
    ``StoreUnavailable`` (the functions make it a Rule Error)."""

    def __init__(
        self, ttl_s: float, max_entries: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, load: Callable[[], V]) -> V:
        now = self._clock()
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and now - hit[0] < self.ttl_s:
                self._entries.move_to_end(key)
                return hit[1]
        try:
            value = load()
        except DatabaseError as exc:
            raise StoreUnavailable(describe(exc)) from exc
        with self._lock:
            self._entries[key] = (now, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
