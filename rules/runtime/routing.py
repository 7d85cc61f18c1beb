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
from collections.abc import Iterable

from rules.engine.filters import data_type_of
from rules.engine.grouping import Grouping
from rules.engine.scope import event_tags
from rules.ingest.events import Event
from rules.runtime.definitions import load_definitions
from rules.runtime.versions import current_version

RELOAD_CHECK_S = 1.0


class RouteTable:
    """Rules indexed by (data type, metric) with their grouping, reloaded on change."""

    def __init__(self, partitions: int) -> None:
        self.partitions = partitions
        self._index: dict[tuple[str, str], list[tuple[str, Grouping]]] = {}
        self._version: int | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    def refresh(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._checked < RELOAD_CHECK_S:
            return
        with self._lock:
            self._checked = now
            version = current_version()
            if not force and version == self._version:
                return
            index: dict[tuple[str, str], list[tuple[str, Grouping]]] = {}
            for rule in load_definitions():
                index.setdefault(data_type_of(rule.metric), []).append((rule.name, rule.grouping))
            self._index = index
            self._version = version

    def partition_of(self, rule: str, grouping: Grouping, event: Event, metric: str) -> int:
        if self.partitions == 1:
            return 0
        key = grouping.key(event.kind, metric, event.entity, event_tags(event))
        text = f"{rule}\x1f{key[2]}\x1f" + "\x1f".join(f"{k}={v}" for k, v in key[3])
        return zlib.crc32(text.encode("utf-8")) % self.partitions

    def route(self, events: Iterable[Event]) -> dict[int, list[list]]:
        """Partition → rows ``[event wire form, [rule names]]`` in arrival order."""
        self.refresh()
        index = self._index
        out: dict[int, list[list]] = {}
        for event in events:
            targets = index.get((event.kind, event.metric))
            if not targets:
                continue
            if len(targets) == 1 and self.partitions == 1:
                out.setdefault(0, []).append([event.to_wire(), [targets[0][0]]])
                continue
            by_partition: dict[int, list[str]] = {}
            for name, grouping in targets:
                partition = self.partition_of(name, grouping, event, event.metric)
                by_partition.setdefault(partition, []).append(name)
            wire = event.to_wire()
            for partition, names in by_partition.items():
                out.setdefault(partition, []).append([wire, names])
        return out
