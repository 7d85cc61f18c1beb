"""Route ingested events to engine partitions by (rule, grouping key).

A window (rule, grouping key) has exactly one owner: the partition
``crc32(rule + grouping key) mod P``. An event goes to every partition that owns a
window it belongs to, with the names of the rules it is for there. Events that no
rule selects (by data type and metric) do not reach the engine.
"""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Hashable, Iterable
from typing import Any

from rules.engine.grouping import DEFINED_TAGS, NO_TAGS, Grouping
from rules.engine.rule_filter import data_type_of
from rules.engine.scope import event_tags
from rules.events import Event
from rules.partition.definitions import load_definitions
from rules.partition.versions import current_version

RELOAD_CHECK_S = 1.0


def _ignores_tags(grouping: Grouping) -> bool:
    return grouping.strategy == NO_TAGS or (grouping.strategy == DEFINED_TAGS and not grouping.tags)


CACHE_LIMIT = 200_000  # series (entity, or entity and tags) cached per (data type, metric)


class RouteTable:
    """Rules indexed by (data type, metric) with their grouping, reloaded on change.

    An event's partitions depend on its entity and, when a rule of its (data type,
    metric) groups by tags, on its tags: they are cached per entity, or per entity and
    tags, so a series seen before costs a dict lookup instead of a window key and a
    hash per rule.
    """

    def __init__(self, partitions: int) -> None:
        self.partitions = partitions
        self._index: dict[tuple[str, str], list[tuple[str, Grouping]]] = {}
        self._tagless: set[tuple[str, str]] = set()
        # (data type, metric) → entity, or (entity, *tag items) → its routes.
        self._cache: dict[tuple[str, str], dict[Hashable, list[tuple[int, list[str]]]]] = {}
        self._version: int | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    def refresh(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._checked < RELOAD_CHECK_S:
            return
        with self._lock:
            # Marked as checked only once the version is read: after a failed read (Redis
            # down) the next call must try again, not route by a table never loaded.
            version = current_version()
            self._checked = now
            if not force and version == self._version:
                return
            index: dict[tuple[str, str], list[tuple[str, Grouping]]] = {}
            for rule in load_definitions():
                index.setdefault(data_type_of(rule.metric), []).append((rule.name, rule.grouping))
            self._index = index
            self._tagless = {
                k for k, targets in index.items() if all(_ignores_tags(g) for _, g in targets)
            }
            self._cache = {}
            self._version = version

    def partition_of(self, rule: str, grouping: Grouping, event: Event, metric: str) -> int:
        if self.partitions == 1:
            return 0
        key = grouping.key(event.kind, metric, event.entity, event_tags(event))
        text = f"{rule}\x1f{key[2]}\x1f" + "\x1f".join(f"{k}={v}" for k, v in key[3])
        return zlib.crc32(text.encode("utf-8")) % self.partitions

    def _targets(
        self, event: Event, targets: list[tuple[str, Grouping]]
    ) -> list[tuple[int, list[str]]]:
        by_partition: dict[int, list[str]] = {}
        for name, grouping in targets:
            partition = self.partition_of(name, grouping, event, event.metric)
            by_partition.setdefault(partition, []).append(name)
        return list(by_partition.items())

    def route(self, events: Iterable[Event]) -> dict[int, list[list[Any]]]:
        """Partition → rows ``[event wire form, [rule names]]`` in arrival order."""
        self.refresh()
        index = self._index
        out: dict[int, list[list[Any]]] = {}
        kind = metric = None
        targets: list[tuple[str, Grouping]] | None = None
        cache: dict[Hashable, list[tuple[int, list[str]]]] = {}
        tagless = True
        for event in events:
            # Collectors send runs of one metric: (kind, metric) lookups only on change.
            if event.metric != metric or event.kind != kind:
                kind, metric = event.kind, event.metric
                targets = index.get((kind, metric))
                if targets:
                    cache = self._cache.setdefault((kind, metric), {})
                    tagless = (kind, metric) in self._tagless
            if not targets:
                continue
            series: Hashable = (
                event.entity if tagless else (event.entity, *event_tags(event).items())
            )
            routes = cache.get(series)
            if routes is None:
                if len(cache) >= CACHE_LIMIT:
                    cache.clear()
                routes = cache[series] = self._targets(event, targets)
            wire = event.to_wire()
            for partition, names in routes:
                rows = out.get(partition)
                if rows is None:
                    rows = out[partition] = []
                rows.append([wire, names])
        return out
