"""Stored message functions: db_message_count, db_message_last, db_messages (spec §4.6 MAY).

``fn(interval, type, source[, tags[, entity[, expression]]])`` selects the stored
messages received in ``[end - interval, end)``, where ``end`` is the time of the
window's last command (so that command itself is excluded), else now:

* ``type``/``source`` null or ``''``: any; ``entity`` omitted: the current entity,
  null/``''``/``*``: any entity (otherwise a name or wildcard pattern);
* ``tags``: ``'k=v,k2=v2'``, a map, or ``tags``; a message matches when it carries
  each of them (values take ``*``/``?`` wildcards), other tags allowed; null/``''``: any;
* ``expression``: a condition over ``message``, ``type``, ``source``, ``severity`` (the
  name, upper case), ``entity``, ``tags``; ``LIKE`` takes wildcards.

A message object has ``entity type source tags severity`` (code as text) ``timestamp``
(ms) ``message`` and ``date`` (null, as in ATSD). The store keeps messages for a bounded
time; older ones are simply not found.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rules.events import SEVERITY_NAMES
from rules.expressions.errors import EvaluationError, ExpressionError
from rules.expressions.functions.registry import compile_condition, register
from rules.expressions.functions.statistics import parse_interval_ms
from rules.expressions.semantics import require_bool, text_of, type_name
from rules.expressions.stores import MessageItem, read_store
from rules.expressions.values import Record
from rules.wildcards import PatternTooLong, matcher


def _optional_text(value: Any) -> str | None:
    return None if value is None or value == "" else text_of(value)


def _tag_filter(value: Any, fn: str) -> dict[str, str]:
    if value is None or value == "":
        return {}
    if isinstance(value, Mapping):
        return {text_of(k).lower(): text_of(v) for k, v in value.items()}
    if isinstance(value, str):
        out: dict[str, str] = {}
        for pair in filter(None, (p.strip() for p in value.split(","))):
            name, eq, tag_value = pair.partition("=")
            if not eq or not name.strip():
                raise EvaluationError(f"{fn}(): tag filter {pair!r} is not name=value")
            out[name.strip().lower()] = tag_value.strip()
        return out
    raise EvaluationError(f"{fn}(): tags must be text or a map, got {type_name(value)}")


class _MessageScope:
    """What the expression argument sees: the fields of one stored message."""

    __slots__ = ("_item", "now_ms", "window", "zone")

    def __init__(self, item: MessageItem, now_ms: int, zone: str) -> None:
        self._item = item
        self.now_ms = now_ms
        self.zone = zone
        self.window = None

    def lookup(self, name: str) -> Any:
        item = self._item
        if name == "message":
            return item.text
        if name == "severity":
            return None if item.severity is None else SEVERITY_NAMES[item.severity]
        if name == "tags":
            return dict(item.tags)
        if name in ("entity", "type", "source"):
            return getattr(item, name)
        return None

    def line_value(self, metric: str) -> float | None:
        return None

    def rule_open(self, rule: str, entity: str | None, expression: str | None) -> bool:
        return False


def _matches(pattern: str, text: str, fn: str) -> bool:
    try:
        return matcher(pattern)(text)
    except PatternTooLong as exc:
        raise EvaluationError(f"{fn}(): {exc}") from None


def _select(ctx: Any, fn: str, args: tuple[Any, ...]) -> list[MessageItem]:
    """The matching stored messages, newest first."""
    interval_ms = parse_interval_ms(text_of(args[0]))
    type_, source = _optional_text(args[1]), _optional_text(args[2])
    tags = _tag_filter(args[3] if len(args) > 3 else None, fn)
    entity: str | None
    if len(args) > 4:
        wanted = args[4]
        entity = None if wanted in (None, "", "*") else text_of(wanted).lower()
    else:
        current = ctx.lookup("entity")
        if current is None:
            raise EvaluationError(f"{fn}(): no current entity; name the entity or '*'")
        entity = text_of(current).lower()
    condition = None
    if len(args) > 5 and args[5] not in (None, ""):
        try:
            condition = compile_condition(text_of(args[5]))
        except ExpressionError as exc:
            raise EvaluationError(f"{fn}(): bad expression {args[5]!r}: {exc}") from None
    end = ctx.lookup("timestamp")
    end_ms = ctx.now_ms if end is None else int(end)
    start_ms = end_ms - interval_ms
    exact_entity = (
        entity if entity is not None and "*" not in entity and "?" not in entity else None
    )
    items = read_store(ctx, fn, lambda stores: stores.messages(exact_entity, type_, source))
    found: list[MessageItem] = []
    for item in items:
        if not start_ms <= item.time_ms < end_ms:
            continue
        if entity is not None and exact_entity is None and not _matches(entity, item.entity, fn):
            continue
        if any(
            name not in item.tags or not _matches(value, item.tags[name], fn)
            for name, value in tags.items()
        ):
            continue
        if condition is not None and not require_bool(
            condition.evaluate(_MessageScope(item, ctx.now_ms, ctx.zone)), f"{fn}() expression"
        ):
            continue
        found.append(item)
    return found


def _record(item: MessageItem) -> Record:
    severity = None if item.severity is None else str(item.severity)
    return Record(
        entity=item.entity, type=item.type, source=item.source, tags=dict(item.tags),
        severity=severity, timestamp=item.time_ms, message=item.text, date=None,
    )  # fmt: skip


@register("db_message_count", 3, 6)
def db_message_count(ctx: Any, *args: Any) -> int:
    """db_message_count(interval, type, source[, tags[, entity[, expression]]]): how many
    stored messages match; 0 when none."""
    return len(_select(ctx, "db_message_count", args))


@register("db_message_last", 3, 6)
def db_message_last(ctx: Any, *args: Any) -> Record | None:
    """db_message_last(interval, type, source[, tags[, entity[, expression]]]): the newest
    matching message (``.timestamp``, ``.message``, ``.severity``...); null when none."""
    found = _select(ctx, "db_message_last", args)
    return _record(found[0]) if found else None


@register("db_messages", 3, 6)
def db_messages(ctx: Any, *args: Any) -> list[Record]:
    """db_messages(interval, type, source[, tags[, entity[, expression]]]): the matching
    messages, newest first as on a message search page; ``[]`` when none."""
    return [_record(item) for item in _select(ctx, "db_messages", args)]
