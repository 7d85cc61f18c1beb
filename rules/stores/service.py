"""``DatabaseStores``: the ``DataStores`` of rules.expressions over this project's stores.

One per process (``stores``): the partition worker hands it to its engines, the
notification renderer reads it through rules.contract. Every read goes through a
bounded TTL cache, so a rule evaluated for every sample costs a dictionary lookup, and
the database sees at most one query per (store, argument) every ``STORE_CACHE_TTL``
seconds; data written since shows up within that time.
"""

from __future__ import annotations

from django.conf import settings

from rules.expressions.stores import EntityActivity, MessageItem, PropertyItem
from rules.expressions.values import EntityValue
from rules.stores.cache import TtlCache
from rules.stores.entities import EntityReader
from rules.stores.messages import MessageReader
from rules.stores.properties import PropertyReader
from rules.stores.tables import TableReader


class DatabaseStores:
    """Cached reads of the stores (implements ``rules.expressions.stores.DataStores``)."""

    def __init__(self, ttl_s: float | None = None, max_entries: int | None = None) -> None:
        ttl = settings.STORE_CACHE_TTL if ttl_s is None else ttl_s
        size = settings.STORE_CACHE_ENTRIES if max_entries is None else max_entries
        self._properties = PropertyReader(TtlCache(ttl, size))
        self._messages = MessageReader(TtlCache(ttl, size))
        self._entities = EntityReader(TtlCache(ttl, size), TtlCache(ttl, size))
        self._tables = TableReader(TtlCache(ttl, size), TtlCache(ttl, size))

    def properties(self, entity: str, type: str) -> tuple[PropertyItem, ...]:
        return self._properties.properties(entity, type)

    def messages(
        self, entity: str | None, type: str | None, source: str | None
    ) -> tuple[MessageItem, ...]:
        return self._messages.messages(entity, type, source)

    def entity(self, name: str) -> EntityValue | None:
        return self._entities.entity(name)

    def entity_by_label(self, label: str) -> EntityValue | None:
        return self._entities.entity_by_label(label)

    def metric_entities(self, metric: str) -> tuple[EntityActivity, ...]:
        return self._entities.metric_entities(metric)

    def replacement_table(self, name: str) -> dict[str, str] | None:
        return self._tables.replacement_table(name)

    def collection(self, name: str) -> tuple[str, ...] | None:
        return self._tables.collection(name)

    def forget(self) -> None:
        """Drop every cached answer (tests, or after an administrator's change)."""
        self._properties.cache.clear()
        self._messages.cache.clear()
        self._entities.entities.clear()
        self._entities.activity.clear()
        self._tables.tables.clear()
        self._tables.collections.clear()
