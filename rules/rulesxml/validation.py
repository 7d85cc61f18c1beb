"""Expression checks at import time, behind one function (``check_expression``).

Contract: the text is parsed and compiled by ``rules.expressions`` (never
evaluated). A syntax error, or another compile error of a known construct
(wrong argument count, a statistical function in a filter), is returned as
``error`` and fails the rule with its position. Functions and methods the
library does not know are returned in ``unsupported`` with their positions:
the rule still imports, and the fidelity report lists them (ATSD has more
functions than we implement; refusing such rules would block whole files).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from rules.expressions import ast
from rules.expressions.compiler import compile_expression
from rules.expressions.errors import ExpressionError
from rules.expressions.functions import REGISTRY
from rules.expressions.functions.not_run import NOT_RUN
from rules.expressions.members import STATIC_FIELDS, STATIC_METHODS, is_known_method
from rules.expressions.parser import parse
from rules.expressions.templates import template_expressions

ExpressionKind = Literal["condition", "filter", "variable", "template"]


@dataclass(frozen=True)
class ExpressionCheck:
    """Outcome of checking one expression text."""

    error: str | None = None  # e.g. "unexpected ')' at line 1, column 7"
    unsupported: tuple[str, ...] = ()  # e.g. ("db_message_count at line 1, column 5",)
    not_run: tuple[str, ...] = ()  # functions registered as not run (executeSqlQuery)


def check_expression(text: str, kind: ExpressionKind) -> ExpressionCheck:
    """Check ``text`` as a rule condition, a filter or a user variable expression."""
    try:
        tree = parse(text)
    except ExpressionError as exc:
        return ExpressionCheck(error=_located(exc, text))

    unknown = sorted(_unsupported(tree))
    unsupported = tuple(f"{label} at {_where(text, pos)}" for pos, label in unknown)
    not_run = tuple(sorted(_not_run(tree)))
    try:
        compile_expression(text, kind)
    except ExpressionError as exc:
        # The compiler stops at the first problem; when that is an unsupported
        # function already listed, the rule stays importable.
        if exc.position not in {pos for pos, _label in unknown}:
            return ExpressionCheck(
                error=_located(exc, text), unsupported=unsupported, not_run=not_run
            )
    return ExpressionCheck(unsupported=unsupported, not_run=not_run)


@dataclass(frozen=True)
class TemplateCheck:
    """Outcome of checking the placeholders of one template, each entry with its
    position in the template text."""

    unsupported: tuple[str, ...] = ()  # e.g. ("nope at line 2, column 12",)
    not_run: tuple[str, ...] = ()  # functions registered as not run (executeSqlQuery)
    errors: tuple[str, ...] = ()  # e.g. ("unexpected end in a placeholder at line 1, ...",)


def check_template(text: str) -> TemplateCheck:
    """The functions a placeholder template calls that do not run (unknown ones and
    those registered as not run) and its placeholders' syntax errors (spec §5.1), for
    the fidelity report. A template never fails a rule: at send time a failing
    placeholder stays as written and is a Rule Error."""
    unsupported: list[str] = []
    not_run: set[str] = set()
    errors: list[str] = []
    for found in template_expressions(text):
        try:
            tree = parse(found.expression)
        except ExpressionError as exc:
            where = _where(text, found.offset + exc.position)
            errors.append(f"{exc.message} in a placeholder at {where}")
            continue
        unsupported.extend(
            f"{label} at {_where(text, found.offset + pos)}"
            for pos, label in sorted(_unsupported(tree))
        )
        not_run.update(_not_run(tree))
    return TemplateCheck(tuple(unsupported), tuple(sorted(not_run)), tuple(errors))


def _not_run(tree: ast.Node) -> set[str]:
    return {
        node.name for node in _walk(tree) if isinstance(node, ast.Call) and node.name in NOT_RUN
    }


def _unsupported(tree: ast.Node) -> Iterator[tuple[int, str]]:
    """(position, label) of every call the function library cannot resolve."""
    for node in _walk(tree):
        if isinstance(node, ast.Call) and node.name not in REGISTRY:
            yield node.pos, node.name
        elif isinstance(node, ast.MethodCall):
            target = node.target
            if isinstance(target, ast.Name) and target.name in STATIC_METHODS:
                if node.name not in STATIC_METHODS[target.name]:
                    yield node.pos, f"{target.name}.{node.name}"
            elif not is_known_method(node.name):
                yield node.pos, f".{node.name}()"
        elif (
            isinstance(node, ast.Member)
            and isinstance(node.target, ast.Name)
            and node.target.name in STATIC_FIELDS
            and node.name not in STATIC_FIELDS[node.target.name]
        ):
            yield node.pos, f"{node.target.name}.{node.name}"


def _walk(node: ast.Node) -> Iterator[ast.Node]:
    stack: list[object] = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, ast.Node):
            yield item
            stack.extend(getattr(item, f.name) for f in dataclasses.fields(item))
        elif isinstance(item, tuple):
            stack.extend(item)


def _where(text: str, position: int) -> str:
    located = ExpressionError("", position, text)
    return f"line {located.line}, column {located.column}"


def _located(exc: ExpressionError, text: str) -> str:
    return str(exc if exc.source is not None else exc.with_source(text))
