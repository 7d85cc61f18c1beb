"""The stored data some functions read: properties, messages, entity metadata,
replacement tables and named collections.

Functions such as ``property()`` or ``lookup()`` read data that is not in the
window. They reach it through ``stores_of(ctx)``: a ``DataStores`` object the
evaluation context carries as its ``stores`` attribute (the partition gives the
engine one backed by cached database reads; the notification renderer another).
Contexts without one see ``NO_STORES``, which holds nothing, so every function
answers with its empty value (``''``, ``[]``, ``{}``, 0, null).

A store that cannot answer (database down, timeout) raises ``StoreUnavailable``;
the functions turn it into an ``EvaluationError``: a Rule Error, never a crash.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol, TypeVar

from rules.expressions.errors import EvaluationError
from rules.expressions.values import EntityValue

T = TypeVar("T")


class StoreUnavailable(Exception):
    """A store could not answer now (its backing service failed or timed out)."""


@dataclass(frozen=True, slots=True)
class PropertyItem:
    """The latest state of one property record (type, entity, keys).

    ``tags`` merges every command received for the record (an empty value deleted its
    tag); ``last_tags`` are the tags of the newest command alone (``merge=false``);
    ``previous_tags`` the merged tags before the newest command; ``time_ms`` the
    newest command's time.
    """

    type: str
    keys: Mapping[str, str]
    tags: Mapping[str, str]
    time_ms: int
    last_tags: Mapping[str, str] = field(default_factory=dict)
    previous_tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MessageItem:
    """A stored ``message`` command; ``severity`` is its code (0-7) or None."""

    entity: str
    type: str
    source: str
    severity: int | None
    tags: Mapping[str, str]
    text: str
    time_ms: int


class EntityActivity(NamedTuple):
    """An entity that sent a metric, and when it last did (Unix ms, to the minute)."""

    entity: EntityValue
    last_insert_ms: int


class DataStores(Protocol):
    """What store-reading functions may ask; every method is cached and bounded."""

    def properties(self, entity: str, type: str) -> Sequence[PropertyItem]:
        """The property records of ``entity`` and ``type`` (both lower case), newest first."""
        ...

    def messages(
        self, entity: str | None, type: str | None, source: str | None
    ) -> Sequence[MessageItem]:
        """The stored messages of ``entity``, ``type`` and ``source`` (None: any), newest
        first; only what the store still keeps, at most its read limit."""
        ...

    def entity(self, name: str) -> EntityValue | None:
        """The registered entity ``name`` (lower case), None when unknown."""
        ...

    def entity_by_label(self, label: str) -> EntityValue | None:
        """An entity whose label is ``label`` (case-insensitive), None when none is."""
        ...

    def metric_entities(self, metric: str) -> Sequence[EntityActivity]:
        """The entities that sent series of ``metric`` (lower case), with their last time."""
        ...

    def replacement_table(self, name: str) -> Mapping[str, str] | None:
        """The replacement table ``name`` as key → value, None when there is none."""
        ...

    def collection(self, name: str) -> Sequence[str] | None:
        """The named collection ``name``, None when there is none."""
        ...


class EmptyStores:
    """Stores that hold nothing: functions answer with their empty values."""

    def properties(self, entity: str, type: str) -> Sequence[PropertyItem]:
        return ()

    def messages(
        self, entity: str | None, type: str | None, source: str | None
    ) -> Sequence[MessageItem]:
        return ()

    def entity(self, name: str) -> EntityValue | None:
        return None

    def entity_by_label(self, label: str) -> EntityValue | None:
        return None

    def metric_entities(self, metric: str) -> Sequence[EntityActivity]:
        return ()

    def replacement_table(self, name: str) -> Mapping[str, str] | None:
        return None

    def collection(self, name: str) -> Sequence[str] | None:
        return None


NO_STORES: DataStores = EmptyStores()


def stores_of(ctx: Any) -> DataStores:
    """The stores of an evaluation context, ``NO_STORES`` when it carries none."""
    stores = getattr(ctx, "stores", None)
    return NO_STORES if stores is None else stores


def read_store(ctx: Any, fn: str, read: Callable[[DataStores], T]) -> T:
    """``read`` of the context's stores; a store that cannot answer is an
    ``EvaluationError`` naming the function ``fn`` (a Rule Error, never a crash)."""
    try:
        return read(stores_of(ctx))
    except StoreUnavailable as exc:
        raise EvaluationError(f"{fn}(): the store is unavailable: {exc}") from None
