"""Entity and metric objects as expressions see them (labels, tags), cached per process.

Lookups happen during evaluation, so they must not touch the database each time:
the cache is refreshed wholesale every ``REFRESH_S`` seconds.
"""

from __future__ import annotations

from rules.expressions.values import EntityValue, MetricValue
from rules.models import Entity, Metric
from rules.partition.reloads import PeriodicReload
from rules.stores.entities import entity_value

REFRESH_S = 30.0


class CatalogCache:
    def __init__(self) -> None:
        self._entities: dict[str, EntityValue] = {}
        self._metrics: dict[str, MetricValue] = {}
        self._reload = PeriodicReload(self._load, REFRESH_S, REFRESH_S)
        self._refresh = self._reload.refresh

    def _load(self) -> bool:
        self._entities = {
            e.name: entity_value(e) for e in Entity.objects.exclude(label="", tags={})
        }
        self._metrics = {
            m.name: MetricValue(
                m.name, label=m.label or None, tags=dict(m.tags), enabled=m.enabled,
                dataType=m.data_type, **m.fields,
            )
            for m in Metric.objects.exclude(label="", tags={}, fields={})
        }  # fmt: skip
        return True

    def entity(self, name: str) -> EntityValue:
        self._refresh()
        found = self._entities.get(name)
        return found if found is not None else EntityValue(name)

    def metric(self, name: str) -> MetricValue:
        self._refresh()
        found = self._metrics.get(name)
        return found if found is not None else MetricValue(name)
