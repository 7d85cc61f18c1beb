"""ATSD's ``entity`` command applied to the entity registry (spec §1.1 entity fields).

Fields and tags the command names are set (created with the entity when it is new);
the others stay as they are. An empty label, tag, interpolation or time zone removes
it. Commands apply in the order received, before the batch's other events, so a
disabled entity can be enabled again by command. A ``property`` of type
``$entity_tags`` sets (or, with an empty value, removes) entity tags the same way.
"""

from __future__ import annotations

from django.db import transaction

from rules.events import ENTITY, PROPERTY, Event
from rules.expressions.stores import EntityActivity
from rules.expressions.values import EntityValue
from rules.models import Entity, EntityMetric
from rules.stores.cache import TtlCache

# Entities of one metric getEntityCount()/getEntities() look at, at most.
MAX_METRIC_ENTITIES = 100_000
_CHUNK = 1000


def _update(entity: Entity, command: Event) -> None:
    merged = {**(entity.tags or {}), **command.tags}
    entity.tags = {name: value for name, value in merged.items() if value}
    if command.kind == PROPERTY:  # $entity_tags: tags only
        return
    if command.text is not None:
        entity.label = command.text
    fields = command.keys
    if "enabled" in fields:
        entity.enabled = fields["enabled"] == "true"
    if "interpolate" in fields:
        entity.interpolate = fields["interpolate"]
    if "time_zone" in fields:
        entity.time_zone = fields["time_zone"]


# A property of this type sets entity tags (spec §1.3); it still reaches property rules.
ENTITY_TAGS_TYPE = "$entity_tags"


def apply(events: list[Event]) -> list[Event]:
    """Apply the ``entity`` commands (and ``$entity_tags`` properties) among ``events``;
    the other events, in order."""
    # Every batch passes here: one comprehension, no call per event.
    commands = [
        e for e in events if e.kind == ENTITY or (e.kind == PROPERTY and e.type == ENTITY_TAGS_TYPE)
    ]
    if not commands:
        return events
    with transaction.atomic():
        names = {c.entity for c in commands}
        known = {e.name: e for e in Entity.objects.select_for_update().filter(name__in=names)}
        for command in commands:
            entity = known.get(command.entity)
            if entity is None:
                entity = known[command.entity] = Entity(name=command.entity)
            _update(entity, command)
        for entity in known.values():
            entity.save()
    return [e for e in events if e.kind != ENTITY]


def entity_value(row: Entity) -> EntityValue:
    """The entity as expressions see it: name, label, tags and the other fields."""
    return EntityValue(
        row.name, label=row.label or None, tags=dict(row.tags or {}), enabled=row.enabled,
        timeZone=row.time_zone or None, interpolate=row.interpolate or None,
    )  # fmt: skip


class EntityReader:
    """Entities by name or label, and the entities of a metric, through a TTL cache."""

    def __init__(
        self,
        entities: TtlCache[EntityValue | None],
        activity: TtlCache[tuple[EntityActivity, ...]],
    ) -> None:
        self.entities = entities
        self.activity = activity

    def entity(self, name: str) -> EntityValue | None:
        def load() -> EntityValue | None:
            row = Entity.objects.filter(name=name).first()
            return None if row is None else entity_value(row)

        return self.entities.get(("name", name), load)

    def entity_by_label(self, label: str) -> EntityValue | None:
        def load() -> EntityValue | None:
            row = Entity.objects.filter(label__iexact=label).order_by("name").first()
            return None if row is None else entity_value(row)

        return self.entities.get(("label", label.lower()), load)

    def metric_entities(self, metric: str) -> tuple[EntityActivity, ...]:
        def load() -> tuple[EntityActivity, ...]:
            pairs = list(
                EntityMetric.objects.filter(metric=metric)
                .order_by("entity")
                .values_list("entity", "last_insert")[:MAX_METRIC_ENTITIES]
            )
            rows: dict[str, Entity] = {}
            for start in range(0, len(pairs), _CHUNK):
                names = [name for name, _ in pairs[start : start + _CHUNK]]
                rows.update((r.name, r) for r in Entity.objects.filter(name__in=names))
            return tuple(
                EntityActivity(
                    entity_value(rows[name]) if name in rows else EntityValue(name),
                    int(last.timestamp() * 1000),
                )
                for name, last in pairs
            )

        return self.activity.get(metric, load)
