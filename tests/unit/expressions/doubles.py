"""Test doubles for expression tests: a list-backed ``SampleWindow`` that recomputes every
aggregate, and a dict-backed ``EvalContext``."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from rules.expressions.functions.statistics import percentile_r6
from rules.expressions.stores import EntityActivity, StoreUnavailable


class ListWindow:
    """A ``SampleWindow`` over ``(time_ms, value)`` pairs, recomputing every aggregate."""

    def __init__(self, samples: Iterable[tuple[int, float]] = ()) -> None:
        self._samples = sorted(((int(t), float(v)) for t, v in samples), key=lambda s: s[0])

    @classmethod
    def of(cls, values: Sequence[float], start_ms: int = 0, step_ms: int = 15_000) -> ListWindow:
        """Samples ``values`` at ``start_ms``, ``start_ms + step_ms``, ..."""
        return cls((start_ms + i * step_ms, v) for i, v in enumerate(values))

    def add(self, time_ms: int, value: float) -> None:
        self._samples.append((int(time_ms), float(value)))
        self._samples.sort(key=lambda s: s[0])

    def times(self) -> Sequence[int]:
        return [t for t, _ in self._samples]

    def values(self) -> Sequence[float]:
        return [v for _, v in self._samples]

    def _finite(self) -> list[float]:
        return [v for _, v in self._samples if not math.isnan(v)]

    def count(self) -> int:
        return len(self._finite())

    def count_nan(self) -> int:
        return len(self._samples) - self.count()

    def sum(self) -> float:
        vals = self._finite()
        return math.fsum(vals) if vals else math.nan

    def avg(self) -> float:
        vals = self._finite()
        return math.fsum(vals) / len(vals) if vals else math.nan

    def min(self) -> float:
        vals = self._finite()
        return min(vals) if vals else math.nan

    def max(self) -> float:
        vals = self._finite()
        return max(vals) if vals else math.nan

    def first(self) -> float:
        vals = self._finite()
        return vals[0] if vals else math.nan

    def last(self) -> float:
        vals = self._finite()
        return vals[-1] if vals else math.nan

    def percentile(self, p: float) -> float:
        return percentile_r6(sorted(self._finite()), p)


class DictContext:
    """An ``EvalContext`` backed by a dict of names.

    ``lines`` feeds ``value('m')``; ``open_rules`` is a callable or a set of
    rule names for ``rule_open``; ``services`` are extra lookups (links, tables).
    """

    def __init__(
        self,
        names: Mapping[str, Any] | None = None,
        *,
        window: Any = None,
        now_ms: int = 0,
        zone: str = "UTC",
        lines: Mapping[str, float] | None = None,
        open_rules: Callable[[str, str | None, str | None], bool] | set[str] | None = None,
        stores: Any = None,
    ) -> None:
        self.names = dict(names or {})
        self.window = window
        self.now_ms = now_ms
        self.zone = zone
        self.lines = dict(lines or {})
        self.open_rules = open_rules
        self.stores = stores

    def lookup(self, name: str) -> Any:
        return self.names.get(name)

    def line_value(self, metric: str) -> float | None:
        return self.lines.get(metric)

    def rule_open(self, rule: str, entity: str | None, expression: str | None) -> bool:
        if self.open_rules is None:
            return False
        if callable(self.open_rules):
            return bool(self.open_rules(rule, entity, expression))
        return rule in self.open_rules


class MemoryStores:
    """A ``DataStores`` over lists in memory; ``failing`` makes every read unavailable."""

    def __init__(
        self,
        properties: Iterable[tuple[str, Any]] = (),
        messages: Iterable[Any] = (),
        entities: Iterable[tuple[Any, int]] = (),
        tables: Mapping[str, Mapping[str, str]] | None = None,
        collections: Mapping[str, Sequence[str]] | None = None,
        failing: bool = False,
    ) -> None:
        self._tables = dict(tables or {})
        self._collections = dict(collections or {})
        self._properties = list(properties)  # (entity, PropertyItem)
        self._messages = list(messages)  # MessageItem
        self._entities = list(entities)  # (EntityValue, last insert ms of metric "m")
        self.failing = failing

    def _check(self) -> None:
        if self.failing:
            raise StoreUnavailable("database is down")

    def properties(self, entity: str, type: str) -> Sequence[Any]:
        self._check()
        found = [p for e, p in self._properties if e == entity and p.type == type]
        return sorted(found, key=lambda p: -p.time_ms)

    def messages(self, entity: str | None, type: str | None, source: str | None) -> Sequence[Any]:
        self._check()
        found = [
            m
            for m in self._messages
            if (entity is None or m.entity == entity)
            and (type is None or m.type.lower() == type.lower())
            and (source is None or m.source.lower() == source.lower())
        ]
        return sorted(found, key=lambda m: -m.time_ms)

    def entity(self, name: str) -> Any:
        self._check()
        return next((e for e, _ in self._entities if e.name == name), None)

    def entity_by_label(self, label: str) -> Any:
        self._check()
        return next(
            (e for e, _ in self._entities if (e.label or "").lower() == label.lower()), None
        )

    def metric_entities(self, metric: str) -> Sequence[Any]:
        self._check()
        return [EntityActivity(e, t) for e, t in self._entities] if metric == "m" else []

    def replacement_table(self, name: str) -> Mapping[str, str] | None:
        self._check()
        return self._tables.get(name)

    def collection(self, name: str) -> Sequence[str] | None:
        self._check()
        return self._collections.get(name)
