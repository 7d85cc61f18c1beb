"""Entity group membership as a pure decision: listed members or an expression over
one entity (``name``, ``label``, ``tags``, ``enabled``, ``entity``).

The partition loads the groups and caches the answers (``rules.partition.group_cache``);
import and the editor check expressions with ``compile_group_expression``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from rules.expressions.compiler import compile_expression
from rules.expressions.values import EntityValue


class EntityScope:
    """The names a group expression sees for one entity (an ``EvalContext``)."""

    window = None

    def __init__(self, entity: EntityValue, zone: str = "UTC") -> None:
        self.entity = entity
        self.zone = zone
        self.now_ms = int(time.time() * 1000)

    def lookup(self, name: str) -> Any:
        entity = self.entity
        if name == "name":
            return entity.name
        if name == "entity":
            return entity
        if name == "label":
            return entity.label or ""
        if name == "tags":
            return dict(entity.tags)
        if name == "enabled":
            return entity.expression_member("enabled") is not False
        return None

    def line_value(self, metric: str) -> float | None:
        return None

    def rule_open(self, rule: str, entity: str | None, expression: str | None) -> bool:
        return False


def compile_group_expression(text: str) -> Any:
    """The compiled membership test; ``ExpressionError`` when it does not compile.
    Statistical functions are refused: a group has no window."""
    return compile_expression(text, "filter")


class EntityGroupRule:
    """One group: ``contains(entity)`` is true for a listed member (any case) or when
    the expression returns true for the entity; an expression that fails leaves the
    entity out."""

    __slots__ = ("expression", "members")

    def __init__(self, members: Iterable[str], expression: Any = None) -> None:
        self.members = frozenset(str(m).lower() for m in members)
        self.expression = expression

    def contains(self, entity: EntityValue) -> bool:
        if entity.name.lower() in self.members:
            return True
        if self.expression is None:
            return False
        try:
            return self.expression.evaluate(EntityScope(entity)) is True
        except Exception:  # a user expression: the entity is left out
            return False
