"""Collection functions (spec §4.6): likeAny matches excludeKeys mergeMaps createMap copy*."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rules.expressions.errors import EvaluationError
from rules.expressions.functions.registry import register
from rules.expressions.semantics import like, text_of, type_name


def _seq(v: Any, what: str) -> list[Any]:
    if v is None:
        return []
    if isinstance(v, Mapping):
        return list(v.keys())
    if isinstance(v, list | tuple | set | frozenset):
        return list(v)
    raise EvaluationError(f"{what} must be a list, got {type_name(v)}")


def _map(v: Any, what: str) -> Mapping[Any, Any]:
    if v is None:
        return {}
    if isinstance(v, Mapping):
        return v
    raise EvaluationError(f"{what} must be a map, got {type_name(v)}")


@register("likeAny", 2)
def like_any(ctx: Any, value: Any, patterns: Any) -> bool:
    """Whether value matches any of the wildcard patterns (``*``, ``?``)."""
    return any(like(value, p) for p in _seq(patterns, "patterns"))


@register("matches", 2)
def matches(ctx: Any, pattern: Any, collection: Any) -> bool:
    """Whether any element of collection matches the wildcard pattern."""
    return any(like(item, pattern) for item in _seq(collection, "collection"))


@register("excludeKeys", 2)
def exclude_keys(ctx: Any, mapping: Any, keys: Any) -> dict[Any, Any]:
    """A copy of mapping without the listed keys."""
    drop = {text_of(k) for k in _seq(keys, "keys")}
    return {k: v for k, v in _map(mapping, "map").items() if text_of(k) not in drop}


@register("mergeMaps", 1, None)
def merge_maps(ctx: Any, *maps: Any) -> dict[Any, Any]:
    """Merge a list of maps (or the map arguments); later maps win."""
    items = maps[0] if len(maps) == 1 and isinstance(maps[0], list | tuple) else maps
    out: dict[Any, Any] = {}
    for m in items:
        out.update(_map(m, "mergeMaps element"))
    return out


@register("createMap", 0, 2)
def create_map(ctx: Any, source: Any = None, separator: Any = ",") -> dict[Any, Any]:
    """An empty map, a copy of a map, a map of [k1, v1, k2, v2], or of text 'k1=v1,k2=v2'."""
    if source is None:
        return {}
    if isinstance(source, Mapping):
        return dict(source)
    if isinstance(source, list | tuple):
        if len(source) % 2:
            raise EvaluationError("createMap() needs an even number of list elements")
        return {source[i]: source[i + 1] for i in range(0, len(source), 2)}
    out: dict[Any, Any] = {}
    for part in text_of(source).split(text_of(separator) or ","):
        if not part.strip():
            continue
        key, eq, value = part.partition("=")
        if not eq:
            raise EvaluationError(f"createMap(): {part!r} is not key=value")
        out[key.strip()] = value.strip()
    return out


@register("copyMap", 1)
def copy_map(ctx: Any, mapping: Any) -> dict[Any, Any]:
    """A shallow copy of a map."""
    return dict(_map(mapping, "map"))


@register("copyList", 1)
def copy_list(ctx: Any, items: Any) -> list[Any]:
    """A shallow copy of a list."""
    return list(_seq(items, "list"))
