"""HTTP queries of the MAY list that the corpus uses (spec §4.6): ``queryConfig``,
``queryGet``, ``queryPost``.

They reach the network, so they run only where the notify worker offers a
``WebQueries`` (``ctx.lookup("web_queries")``: notification texts, and only with
``RULE_WEB_QUERIES_ENABLED``); elsewhere, and in rule conditions, they are errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rules.expressions.errors import EvaluationError
from rules.expressions.functions.registry import register
from rules.expressions.semantics import text_of


def _queries(ctx: Any, fn: str) -> Any:
    queries = ctx.lookup("web_queries")
    if queries is None:
        raise EvaluationError(
            f"{fn}() runs only in notification texts, with RULE_WEB_QUERIES_ENABLED=true"
        )
    return queries


def _map(value: Any, fn: str, what: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise EvaluationError(f"{fn}(): {what} must be a map")
    return {text_of(k): text_of(v) for k, v in value.items()}


@register("queryConfig", 1, 2)
def query_config(ctx: Any, endpoint: Any, params: Any = None) -> Any:
    """queryConfig(endpoint[, params]): send the request the named endpoint describes
    (its ``url`` parameter or URL, ``method``, ``headers``, ``body``), each ``${name}``
    replaced by ``params[name]``; the answer has ``.content``, ``.status``,
    ``.headers``, ``.duration``."""
    return _queries(ctx, "queryConfig").config(
        text_of(endpoint), _map(params, "queryConfig", "the parameters")
    )


@register("queryGet", 1, 2)
def query_get(ctx: Any, url: Any, headers: Any = None) -> Any:
    """queryGet(url[, headers]): GET ``url``; the answer as for queryConfig."""
    return _queries(ctx, "queryGet").get(text_of(url), _map(headers, "queryGet", "headers"))


@register("queryPost", 2, 3)
def query_post(ctx: Any, url: Any, body: Any, headers: Any = None) -> Any:
    """queryPost(url, body[, headers]): POST ``body`` (text) to ``url``; the answer as
    for queryConfig."""
    return _queries(ctx, "queryPost").post(
        text_of(url), text_of(body), _map(headers, "queryPost", "headers")
    )
