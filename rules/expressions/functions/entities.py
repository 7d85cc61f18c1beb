"""Entity metadata functions: entity_label, entity_tag(s), getEntity, getEntityCount,
getEntities (spec §4.6 SHOULD and MAY).

Entities are read from the registry (labels, tags and fields set by the ``entity``
command or the Entities page). An unknown entity has no label and no tags: ``''`` and
``{}``; ``getEntity`` gives null.

``getEntityCount(metric[, start[, end[, expression]]])`` counts the entities that sent
series of ``metric`` whose last series of it arrived within ``[start, end]`` (ISO or
calendar keywords such as ``now - 1 * DAY``; omitted: unbounded), and for which
``expression`` holds (``name``, ``label``, ``enabled``, ``tags``, ``tags.<n>``,
``timeZone``, ``interpolate``; ``''``: all). So ``getEntityCount('tick', 'now - 1 * DAY',
'now - 2 * MINUTE', '')`` counts the entities that stopped sending within the last day.
Last-insert times are kept to the minute.
"""

from __future__ import annotations

from typing import Any

from rules.expressions.calendar import date_millis
from rules.expressions.errors import EvaluationError, ExpressionError
from rules.expressions.functions.registry import compile_condition, register
from rules.expressions.semantics import require_bool, text_of
from rules.expressions.stores import read_store
from rules.expressions.values import EntityValue


def _entity(ctx: Any, fn: str, name: Any) -> EntityValue | None:
    if name is None or name == "":
        return None
    wanted = text_of(name).lower()
    return read_store(ctx, fn, lambda stores: stores.entity(wanted))


@register("entity_label", 1)
def entity_label(ctx: Any, name: Any) -> str:
    """entity_label(entity): its label; the argument itself when the entity is unknown
    or has no label."""
    found = _entity(ctx, "entity_label", name)
    if found is not None and found.label:
        return found.label
    return "" if name is None else text_of(name)


@register("getEntityName", 1)
def get_entity_name(ctx: Any, name: Any) -> str:
    """getEntityName(text): the entity's name found by name, else by label (both
    case-insensitive); the argument itself when none is found."""
    found = get_entity(ctx, name, True)
    return found.name if found is not None else ("" if name is None else text_of(name))


@register("entity_tag", 2)
def entity_tag(ctx: Any, name: Any, tag: Any) -> str:
    """entity_tag(entity, tag): the value of one entity tag; ``''`` when absent."""
    found = _entity(ctx, "entity_tag", name)
    if found is None:
        return ""
    return found.tags.get(text_of(tag).lower(), "")


@register("entity_tags", 1, 2)
def entity_tags(ctx: Any, name: Any, _labels: Any = None) -> dict[str, str]:
    """entity_tags(entity[, labels]): the entity's tags as a map; ``{}`` when unknown.
    (Tag templates do not exist here, so ``labels`` changes nothing: names are kept.)"""
    found = _entity(ctx, "entity_tags", name)
    return dict(found.tags) if found is not None else {}


@register("getEntity", 1, 2)
def get_entity(ctx: Any, name: Any, by_label: Any = None) -> EntityValue | None:
    """getEntity(name[, byLabel]): the entity object (``.label``, ``.tags``...); with
    ``byLabel`` true, the entity whose label is ``name`` when no name matches; null
    when none."""
    found = _entity(ctx, "getEntity", name)
    if found is None and by_label is not None and require_bool(by_label, "byLabel"):
        label = text_of(name)
        found = read_store(ctx, "getEntity", lambda stores: stores.entity_by_label(label))
    return found


class _EntityScope:
    """What a getEntityCount()/getEntities() expression sees: one entity's fields."""

    __slots__ = ("_entity", "now_ms", "window", "zone")

    def __init__(self, entity: EntityValue, now_ms: int, zone: str) -> None:
        self._entity = entity
        self.now_ms = now_ms
        self.zone = zone
        self.window = None

    def lookup(self, name: str) -> Any:
        if name in ("entity", "name"):
            return self._entity.name if name == "name" else self._entity
        return self._entity.expression_member(name)

    def line_value(self, metric: str) -> float | None:
        return None

    def rule_open(self, rule: str, entity: str | None, expression: str | None) -> bool:
        return False


def _select(ctx: Any, fn: str, args: tuple[Any, ...]) -> list[EntityValue]:
    metric = text_of(args[0]).lower()
    bounds = [
        None
        if len(args) <= i or args[i] in (None, "")
        else date_millis(args[i], ctx.now_ms, ctx.zone)
        for i in (1, 2)
    ]
    start, end = bounds
    condition = None
    if len(args) > 3 and args[3] not in (None, ""):
        try:
            condition = compile_condition(text_of(args[3]))
        except ExpressionError as exc:
            raise EvaluationError(f"{fn}(): bad expression {args[3]!r}: {exc}") from None
    activity = read_store(ctx, fn, lambda stores: stores.metric_entities(metric))
    found: list[EntityValue] = []
    for entity, last_ms in activity:
        if (start is not None and last_ms < start) or (end is not None and last_ms > end):
            continue
        if condition is not None and not require_bool(
            condition.evaluate(_EntityScope(entity, ctx.now_ms, ctx.zone)), f"{fn}() expression"
        ):
            continue
        found.append(entity)
    return found


@register("getEntityCount", 1, 4)
def get_entity_count(ctx: Any, *args: Any) -> int:
    """getEntityCount(metric[, start[, end[, expression]]]): how many entities last sent
    ``metric`` within [start, end] and match ``expression``."""
    return len(_select(ctx, "getEntityCount", args))


@register("getEntities", 1, 4)
def get_entities(ctx: Any, *args: Any) -> list[EntityValue]:
    """getEntities(metric[, start[, end[, expression]]]): those entities, by name."""
    return _select(ctx, "getEntities", args)
