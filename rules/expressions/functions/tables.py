"""Replacement tables and named collections (spec §4.6 SHOULD): lookup, replacementTable,
collection. A table or collection that does not exist reads as empty."""

from __future__ import annotations

from typing import Any

from rules.expressions.functions.registry import register
from rules.expressions.semantics import require_bool, text_of
from rules.expressions.stores import read_store


def _table(ctx: Any, fn: str, name: Any) -> dict[str, str] | None:
    wanted = text_of(name)
    found = read_store(ctx, fn, lambda stores: stores.replacement_table(wanted))
    return None if found is None else dict(found)


@register("lookup", 2, 3)
def lookup(ctx: Any, table: Any, key: Any, keep_key: Any = None) -> str:
    """lookup(table, key[, keepKey]): the value of ``key`` in the replacement table;
    ``''`` when the table or key is missing, or ``key`` itself with ``keepKey`` true."""
    wanted = "" if key is None else text_of(key)
    found = _table(ctx, "lookup", table)
    if found is not None and wanted in found:
        return found[wanted]
    if keep_key is not None and require_bool(keep_key, "keepKey"):
        return wanted
    return ""


@register("replacementTable", 1)
def replacement_table(ctx: Any, table: Any) -> dict[str, str]:
    """replacementTable(name): the whole table as a map; ``{}`` when missing."""
    return _table(ctx, "replacementTable", table) or {}


@register("collection", 1)
def collection(ctx: Any, name: Any) -> list[str]:
    """collection(name): the named collection's items; ``[]`` when missing."""
    wanted = text_of(name)
    found = read_store(ctx, "collection", lambda stores: stores.collection(wanted))
    return list(found or ())
