"""Function library of the expression language (spec §4.5, §4.6).

Importing this package registers every function in ``REGISTRY``.
"""

from rules.expressions.functions import (  # noqa: F401 - imported for registration
    collections,
    content,
    conversion,
    dates,
    entities,
    formatters,
    json_data,
    math,
    messages,
    not_run,
    properties,
    series,
    statistics,
    tables,
    text,
    web_queries,
    window,
)
from rules.expressions.functions.registry import REGISTRY, Function, register

__all__ = ["REGISTRY", "Function", "register"]
