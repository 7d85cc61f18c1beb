"""``loadHistory`` of message and property rules (spec §3.3): the stored commands a new
window would hold, read through the engine's ``DataStores``.

Messages: the stored messages of the window's entity (any entity when entity grouping
is off) and of the rule's type and source, that the rule's filter accepts (judged as if
each arrived at its own time) and whose grouping key is the window's. The store keeps
``MESSAGE_RETENTION_HOURS``; older messages do not exist here.

Properties: the store keeps only the latest state of each (entity, type, keys) record,
so a window is filled with the records of its key whose latest command is older than
the opening one, each once, at that command's time. A record the opening command has
already updated contributes nothing (its earlier commands are not kept). The records
read are those of the opening command's entity and type.

Reads are those of the store (bounded, cached); a store that cannot answer raises
``StoreUnavailable``, which the rule reports as a Rule Error.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from rules.engine.grouping import Grouping, WindowKey
from rules.engine.rule_filter import RuleFilter
from rules.engine.scope import event_tags
from rules.events import MESSAGE, PROPERTY, Event
from rules.expressions.stores import DataStores, StoreUnavailable

# The value message and property events carry (rules.ingest.commands).
COMMAND_VALUE = 0.0


def _read(stores: DataStores, key: WindowKey, rule_filter: RuleFilter, opening: Event) -> Any:
    """The store's records for the window, newest first."""
    try:
        if key[0] == MESSAGE:
            return stores.messages(key[2], rule_filter.type, rule_filter.source)
        return stores.properties(opening.entity, opening.type or "")
    except StoreUnavailable as exc:
        raise StoreUnavailable(f"the {key[0]} store is unavailable: {exc}") from exc


def _events(kind: str, records: Iterable[Any], opening: Event) -> Iterator[Event]:
    if kind == MESSAGE:
        for m in records:
            yield Event(
                MESSAGE, m.entity, MESSAGE, dict(m.tags), m.time_ms, m.time_ms, COMMAND_VALUE,
                text=m.text, type=m.type, source=m.source or None, severity=m.severity,
            )  # fmt: skip
    else:
        for p in records:
            yield Event(
                PROPERTY, opening.entity, PROPERTY, dict(p.tags), p.time_ms, p.time_ms,
                COMMAND_VALUE, type=p.type, keys=dict(p.keys),
            )  # fmt: skip


def stored_commands(
    stores: DataStores,
    rule_filter: RuleFilter,
    check_filter: bool,
    grouping: Grouping,
    key: WindowKey,
    opening: Event,
    start_ms: int,
    limit: int | None,
) -> list[tuple[int, float]]:
    """(time, value) of the stored commands older than ``opening`` and not older than
    ``start_ms`` that the window ``key`` would hold, at most the newest ``limit``
    (None: all), oldest first. ``check_filter``: run the rule's filter on each."""
    kind, metric = key[0], key[1]
    held: list[tuple[int, float]] = []
    end = opening.time_ms
    for event in _events(kind, _read(stores, key, rule_filter, opening), opening):
        t = event.time_ms  # newest first
        if t >= end:
            continue
        if t < start_ms:
            break
        if check_filter and rule_filter.check_after_metric(event, t) is not None:
            continue
        if grouping.key(kind, metric, event.entity, event_tags(event)) != key:
            continue
        held.append((t, event.value))
        if limit is not None and len(held) >= limit:
            break
    held.reverse()
    return held
