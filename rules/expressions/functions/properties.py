"""Property functions: the latest stored property records of an entity (spec §4.6 MAY).

A search expression is ``type:key=value,key2=value2:tag`` (keys optional, key values
and the tag name take ``*``/``?`` wildcards): ``docker.container::image``,
``disk:id=sd*:*``. Records are searched for the current entity unless the entity is
the first argument; a ``date`` (ISO or calendar keyword, only after an entity)
keeps records received on or after it; ``merge=false`` reads only the tags of each
record's newest command. Nothing found gives ``''``, ``[]`` or ``{}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rules.expressions.calendar import date_millis
from rules.expressions.errors import EvaluationError
from rules.expressions.functions.registry import register
from rules.expressions.semantics import require_bool, text_of, type_name
from rules.expressions.stores import PropertyItem, read_store
from rules.wildcards import PatternTooLong, matcher


@dataclass(frozen=True, slots=True)
class _Search:
    type: str
    keys: tuple[tuple[str, str], ...]
    tag: str


def _parse_search(text: str) -> _Search:
    parts = text.split(":")
    if len(parts) < 3 or not parts[0].strip():
        raise EvaluationError(
            f"property search {text!r}: expected 'type:key=value:tag', e.g. 'disk::size'"
        )
    keys: list[tuple[str, str]] = []
    key_text = ":".join(parts[1:-1]).strip()
    for pair in filter(None, (p.strip() for p in key_text.split(","))):
        name, eq, value = pair.partition("=")
        if not eq or not name.strip():
            raise EvaluationError(f"property search {text!r}: key {pair!r} is not name=value")
        keys.append((name.strip().lower(), value.strip()))
    return _Search(parts[0].strip().lower(), tuple(keys), parts[-1].strip().lower())


def _matches(pattern: str, text: str, *, ignore_case: bool = False) -> bool:
    try:
        return matcher(pattern, ignore_case=ignore_case)(text)
    except PatternTooLong as exc:
        raise EvaluationError(f"property search: {exc}") from None


@dataclass(frozen=True, slots=True)
class _Found:
    item: PropertyItem
    tags: dict[str, str]  # the matching tags, sorted by name


def _arguments(ctx: Any, fn: str, args: tuple[Any, ...]) -> tuple[str, str, int | None, bool]:
    """(entity, search text, since ms or None, merge) of ``fn([entity,] expr[, date[, merge]])``."""
    if len(args) == 2 and isinstance(args[1], bool):
        args = (None, args[0], None, args[1])
    elif len(args) == 1:
        args = (None, args[0])
    entity_arg, search = args[0], args[1]
    if entity_arg is None:
        current = ctx.lookup("entity")
        if current is None:
            raise EvaluationError(f"{fn}(): no current entity; name the entity first")
        entity_arg = current
    if not isinstance(search, str):
        raise EvaluationError(f"{fn}(): the search must be a string, got {type_name(search)}")
    since = None
    if len(args) > 2 and args[2] is not None and args[2] != "":
        since = date_millis(args[2], ctx.now_ms, ctx.zone)
    merge = True if len(args) < 4 or args[3] is None else require_bool(args[3], "merge")
    return text_of(entity_arg).lower(), search, since, merge


def _search(ctx: Any, fn: str, args: tuple[Any, ...]) -> list[_Found]:
    """The records matching the search, newest first, with their matching tags."""
    entity, text, since, merge = _arguments(ctx, fn, args)
    search = _parse_search(text)
    items = read_store(ctx, fn, lambda stores: stores.properties(entity, search.type))
    found: list[_Found] = []
    for item in items:
        if since is not None and item.time_ms < since:
            continue
        if not all(
            name in item.keys and _matches(pattern, item.keys[name])
            for name, pattern in search.keys
        ):
            continue
        source = item.tags if merge else item.last_tags
        tags = {
            name: source[name]
            for name in sorted(source)
            if search.tag and _matches(search.tag, name, ignore_case=True)
        }
        found.append(_Found(item, tags))
    return found


def _record_map(found: _Found) -> dict[str, str]:
    """Sorted keys followed by the matching sorted tags."""
    keys = found.item.keys
    return {name: keys[name] for name in sorted(keys)} | found.tags


@register("property", 1, 4)
def property_(ctx: Any, *args: Any) -> str:
    """property([entity,] 'type:keys:tag'[, date[, merge]]): the tag value of the newest
    matching record; ``''`` when none."""
    for found in _search(ctx, "property", args):
        for value in found.tags.values():
            return value
    return ""


@register("property_values", 1, 4)
def property_values(ctx: Any, *args: Any) -> list[str]:
    """property_values([entity,] 'type:keys:tag'[, date[, merge]]): distinct tag values of
    the matching records, newest record first; ``[]`` when none."""
    values: dict[str, None] = {}
    for found in _search(ctx, "property_values", args):
        values.update(dict.fromkeys(found.tags.values()))
    return list(values)


@register("property_map", 1, 4)
def property_map(ctx: Any, *args: Any) -> dict[str, str]:
    """property_map([entity,] 'type:keys:tag'[, date[, merge]]): keys then matching tags
    of the newest matching record; ``{}`` when none."""
    for found in _search(ctx, "property_map", args):
        return _record_map(found)
    return {}


@register("property_maps", 1, 4)
def property_maps(ctx: Any, *args: Any) -> list[dict[str, str]]:
    """property_maps([entity,] 'type:keys:tag'[, date[, merge]]): one map (keys then
    matching tags) per matching record, newest first."""
    return [_record_map(found) for found in _search(ctx, "property_maps", args)]


def _previous_tags(ctx: Any, fn: str) -> tuple[Mapping[str, str], Mapping[str, str]]:
    """(tags of the current property command, the record's merged tags before it)."""
    tags, type_, keys = ctx.lookup("properties"), ctx.lookup("type"), ctx.lookup("keys")
    if not isinstance(tags, Mapping) or not isinstance(type_, str):
        raise EvaluationError(f"{fn}() works in rules of the property data type")
    entity = text_of(ctx.lookup("entity")).lower()
    items = read_store(ctx, fn, lambda stores: stores.properties(entity, type_.lower()))
    wanted = dict(keys or {})
    command_ms = ctx.lookup("timestamp")
    for item in items:
        if dict(item.keys) != wanted:
            continue
        # The store is written at ingest, so it usually holds this command already:
        # then what came before it is the record's previous state.
        if command_ms is None or item.time_ms >= command_ms:
            return tags, item.previous_tags
        return tags, item.tags
    return tags, {}


def _difference(
    ctx: Any, fn: str, merge: Any, names: Any = None, previous_patterns: Any = None
) -> dict[str, str]:
    """``{tag: "'old' -> 'new'"}`` for each tag that changed, '' standing for absent.

    With ``merge`` (the default) the command's tags update the previous ones (an empty
    value deletes), so only the tags it carries can change; ``merge=false`` compares the
    command's tags alone, so a tag it lacks counts as removed.
    """
    command, previous = _previous_tags(ctx, fn)
    do_merge = True if merge is None else require_bool(merge, "merge")
    if do_merge:
        current = {k: v for k, v in {**previous, **command}.items() if v != ""}
    else:
        current = {k: v for k, v in command.items() if v != ""}
    skip_names = [text_of(p).lower() for p in _patterns(names, fn)]
    skip_previous = [text_of(p) for p in _patterns(previous_patterns, fn)]
    out: dict[str, str] = {}
    for name in sorted(set(current) | set(previous)):
        old, new = previous.get(name, ""), current.get(name, "")
        if old == new:
            continue
        if any(_matches(p, name, ignore_case=True) for p in skip_names):
            continue
        if any(_matches(p, old) for p in skip_previous):
            continue
        out[name] = f"'{old}' -> '{new}'"
    return out


def _patterns(value: Any, fn: str) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple | set | frozenset):
        return list(value)
    raise EvaluationError(f"{fn}(): patterns must be a string or a list, got {type_name(value)}")


@register("property_compare", 0, 1)
def property_compare(ctx: Any, merge: Any = None) -> dict[str, str]:
    """property_compare([merge]): tags changed by this property command against the
    stored record, ``{tag: "'old' -> 'new'"}``; ``{}`` when nothing changed."""
    return _difference(ctx, "property_compare", merge)


@register("property_compare_except", 0, 3)
def property_compare_except(ctx: Any, *args: Any) -> dict[str, str]:
    """property_compare_except([names[, previous values]][, merge]): property_compare()
    ignoring tags whose name matches a pattern of ``names`` or whose previous value
    matches one of ``previous values``."""
    merge = args[-1] if args and isinstance(args[-1], bool) else None
    rest = args[:-1] if merge is not None else args
    if len(rest) > 2:
        raise EvaluationError("property_compare_except(): at most two pattern lists")
    return _difference(ctx, "property_compare_except", merge, *rest)
