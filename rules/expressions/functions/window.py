"""Window and series-line functions (spec §4.6): value(), rule_open(), rule_window(),
rule_windows(), samples()..."""

from __future__ import annotations

from typing import Any

from rules.expressions.errors import EvaluationError
from rules.expressions.functions.registry import register
from rules.expressions.semantics import text_of, to_number
from rules.expressions.values import Record


@register("value", 1, 2)
def value(ctx: Any, metric: Any, default: Any = None, *_: Any) -> Any:
    """value('m'[, default]): another metric of the same line; missing, no default → error."""
    name = text_of(metric)
    v = ctx.line_value(name)
    if v is not None:
        return v
    if default is not None:
        return default
    raise EvaluationError(f"value('{name}'): metric not found in the command")


def _match_args(ctx: Any, rest: tuple[Any, ...]) -> tuple[str | None, str | None]:
    """(entity pattern, expression) of rule_open/rule_window: entity omitted → the
    current entity, ``''``/null → any."""
    if rest:
        entity = rest[0]
        entity_arg: str | None = None if entity in (None, "") else text_of(entity)
    else:
        current = ctx.lookup("entity")
        entity_arg = None if current is None else text_of(current)
    expression = text_of(rest[1]) if len(rest) > 1 and rest[1] is not None else None
    return entity_arg, expression


@register("rule_open", 1, 3)
def rule_open(ctx: Any, rule: Any, *rest: Any) -> bool:
    """rule_open(rule[, entity[, expr]]): another window of ``rule`` is OPEN/REPEAT.

    Entity omitted → the current entity; ``''``/null → any entity.
    """
    entity_arg, expression = _match_args(ctx, rest)
    return bool(ctx.rule_open(text_of(rule), entity_arg, expression))


def _rule_windows(ctx: Any, fn: str, rule: Any, entity: str | None, expr: str | None) -> list[Any]:
    find = getattr(ctx, "rule_windows", None)
    if find is None:
        raise EvaluationError(f"{fn}(): other windows are only visible to rule conditions")
    return list(find(text_of(rule), entity, expr))


@register("rule_window", 1, 3)
def rule_window(ctx: Any, rule: Any, *rest: Any) -> Any:
    """rule_window(rule[, entity[, expr]]): the first other window of ``rule`` matching as
    in rule_open() (any status), as an object (``.status``, ``.value``, ``.lastText``,
    ``.tags``, ``.open_time``...); null when none matches."""
    entity_arg, expression = _match_args(ctx, rest)
    found = _rule_windows(ctx, "rule_window", rule, entity_arg, expression)
    return found[0] if found else None


@register("rule_windows", 1, 2)
def rule_windows(ctx: Any, rule: Any, expression: Any = None) -> list[Any]:
    """rule_windows(rule[, expr]): every other window of ``rule`` of any entity whose
    tags, last message and status match ``expr``, as objects (see rule_window)."""
    expr = None if expression in (None, "") else text_of(expression)
    return _rule_windows(ctx, "rule_windows", rule, None, expr)


def _limit(items: list[Any], limit: Any) -> list[Any]:
    if limit is None:
        return items
    n = int(to_number(limit, "limit"))
    if n > 0:
        return items[:n]
    if n < 0:
        return items[n:]
    return []


def _window(ctx: Any) -> Any:
    if ctx.window is None:
        raise EvaluationError("no window in this context")
    return ctx.window


@register("samples", 0, 1)
def samples(ctx: Any, limit: Any = None) -> list[Record]:
    """Samples as objects with ``t``/``time`` (ms), ``v``/``value``; lim>0 first N, <0 last N."""
    w = _window(ctx)
    items = [Record(t=t, time=t, v=v, value=v) for t, v in zip(w.times(), w.values(), strict=True)]
    return _limit(items, limit)


@register("values", 0, 1)
def values(ctx: Any, limit: Any = None) -> list[float]:
    """Window values oldest first (NaN included); lim>0 first N, <0 last N."""
    return _limit(list(_window(ctx).values()), limit)


@register("timestamps", 0, 1)
def timestamps(ctx: Any, limit: Any = None) -> list[int]:
    """Window sample times in Unix ms oldest first; lim>0 first N, <0 last N."""
    return _limit(list(_window(ctx).times()), limit)
