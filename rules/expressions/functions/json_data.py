"""JSON helpers of the MAY list that the corpus uses (spec §4.6): ``jsonPathFilter``
and ``jsonToLists``, typically over a web query's answer::

    addTable(jsonToLists(jsonPathFilter(queryConfig('gh', [...]).content,
                                        "$..nodes[?(@.state == 'OPEN')]")), 'ascii', true)

JSONPath is evaluated by ``jsonpath-ng`` (its extended grammar: filters with
``==``/``!=``/``<``/``>``, ``&&``, ``||``); nothing is executed. Inputs are bounded by
``MAX_JSON_CHARS``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from jsonpath_ng.exceptions import JsonPathLexerError, JsonPathParserError
from jsonpath_ng.ext import parse as parse_jsonpath

from rules.expressions.errors import EvaluationError
from rules.expressions.formatting import format_value
from rules.expressions.functions.registry import register
from rules.expressions.semantics import text_of

MAX_JSON_CHARS = 5_000_000
MAX_PATH_CHARS = 2_000


def _data(value: Any, fn: str) -> Any:
    """JSON text parsed, or a list/map taken as it is."""
    if isinstance(value, list | tuple | Mapping):
        return value
    text = text_of(value)
    if len(text) > MAX_JSON_CHARS:
        raise EvaluationError(f"{fn}(): the JSON text is over {MAX_JSON_CHARS:,} characters")
    try:
        return json.loads(text)
    except ValueError as exc:
        raise EvaluationError(f"{fn}(): not JSON: {exc}") from exc


@register("jsonPathFilter", 2, 2)
def json_path_filter(ctx: Any, data: Any, path: Any) -> str:
    """The values ``path`` (JSONPath: ``$..items[?(@.state == 'OPEN')]``) selects in
    ``data`` (JSON text, a list or a map), as the JSON text of an array [decision: text,
    so that it prints and chains like the query answers it filters]."""
    expression = text_of(path)
    if len(expression) > MAX_PATH_CHARS:
        raise EvaluationError(f"jsonPathFilter(): the path is over {MAX_PATH_CHARS} characters")
    try:
        compiled = parse_jsonpath(expression)
    except (JsonPathLexerError, JsonPathParserError, ValueError, TypeError) as exc:
        raise EvaluationError(f"jsonPathFilter(): invalid path {expression!r}: {exc}") from exc
    parsed = _data(data, "jsonPathFilter")
    try:
        found = [match.value for match in compiled.find(parsed)]
    except (TypeError, ValueError, KeyError, IndexError) as exc:
        raise EvaluationError(f"jsonPathFilter(): {expression!r} failed: {exc}") from exc
    return json.dumps(found, ensure_ascii=False)


def _flatten(value: Any, prefix: str, out: dict[str, Any]) -> None:
    """Nested maps as ``a.b`` columns; lists and scalars are cells."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            _flatten(item, f"{prefix}.{key}" if prefix else str(key), out)
    else:
        out[prefix or "value"] = value


def _cell(value: Any) -> str:
    if isinstance(value, list | tuple):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else format_value(value)


@register("jsonToLists", 1, 1)
def json_to_lists(ctx: Any, data: Any) -> list[list[str]]:
    """Rows of JSON data (text, a list or a map) for ``addTable(..., true)``: the first
    list is the header, the column names in first-seen order with nested fields as
    ``a.b``; then one list per object (a single object is one row), ``''`` where an
    object lacks a column; lists inside are JSON text; scalars are a ``value`` column."""
    parsed = _data(data, "jsonToLists")
    items = parsed if isinstance(parsed, list | tuple) else [parsed]
    rows: list[dict[str, Any]] = []
    for item in items:
        flat: dict[str, Any] = {}
        _flatten(item, "", flat)
        rows.append(flat)
    header: list[str] = []
    for row in rows:
        header.extend(name for name in row if name not in header)
    return [header, *([_cell(row.get(name)) for name in header] for row in rows)]
