"""Shared helpers of the expression tests."""

from __future__ import annotations

from typing import Any

from rules.expressions.compiler import compile_expression
from tests.unit.expressions.doubles import DictContext


def ev(text: str, names: dict[str, Any] | None = None, kind: str = "condition", **kw: Any) -> Any:
    """Compile ``text`` and evaluate it in a DictContext built from ``names`` and ``kw``."""
    return compile_expression(text, kind).evaluate(DictContext(names, **kw))
