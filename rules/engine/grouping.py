"""Grouping keys: which window of a rule an event belongs to (spec §3.2).

Key = data type, metric, entity (unless entity grouping is disabled) and the grouping
tags with names sorted. Keys are tuples (cheap to hash, JSON-able as lists); the display
form ``series-m1-e1-t1=v1-t2=v2`` is derived on demand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ALL_TAGS = "ALL_TAGS"
DEFINED_TAGS = "DEFINED_TAGS"
NO_TAGS = "NO_TAGS"
STRATEGIES = (ALL_TAGS, DEFINED_TAGS, NO_TAGS)

TagItems = tuple[tuple[str, str], ...]
# (data type, metric, entity or None, sorted tag items)
WindowKey = tuple[str, str, str | None, TagItems]


@dataclass(frozen=True, slots=True)
class Grouping:
    """A rule's grouping: strategy, the defined tag names and entity grouping switch."""

    strategy: str = ALL_TAGS
    tags: tuple[str, ...] = ()
    disable_entity_grouping: bool = False

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise ValueError(f"unknown tagsGroupingStrategy {self.strategy!r}")
        # Tag names are lower-cased on input (spec §1.1); defined names follow suit.
        object.__setattr__(
            self, "tags", tuple(sorted({t.strip().lower() for t in self.tags if t.strip()}))
        )

    def key(self, data_type: str, metric: str, entity: str, tags: dict[str, str]) -> WindowKey:
        """The window key of an event. DEFINED_TAGS keys a missing tag as '' [decision]."""
        ent = None if self.disable_entity_grouping else entity
        strategy = self.strategy
        if strategy == NO_TAGS or (strategy == ALL_TAGS and not tags):
            items: TagItems = ()
        elif strategy == ALL_TAGS:
            items = tuple(sorted(tags.items()))
        else:
            get = tags.get
            items = tuple((name, get(name, "")) for name in self.tags)
        return (data_type, metric, ent, items)


def display_key(key: WindowKey) -> str:
    """``series-m1-e1-t1=v1-t2=v2``: data type, metric, entity (if grouped), tags."""
    data_type, metric, entity, items = key
    parts = [data_type, metric]
    if entity is not None:
        parts.append(entity)
    parts.extend(f"{k}={v}" for k, v in items)
    return "-".join(parts)


def key_to_json(key: WindowKey) -> list[Any]:
    """A JSON-able form of a key (for snapshots and trigger events)."""
    data_type, metric, entity, items = key
    return [data_type, metric, entity, [[k, v] for k, v in items]]


def key_from_json(data: list[Any]) -> WindowKey:
    """Inverse of ``key_to_json``."""
    data_type, metric, entity, items = data
    return (data_type, metric, entity, tuple((k, v) for k, v in items))
