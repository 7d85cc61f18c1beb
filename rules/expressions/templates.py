"""Where the expressions of a placeholder template are (spec §5.1, §5.6).

A template holds ``${expr}``, ``@{expr}`` and the directives ``@if{cond}``,
``@else{cond}``, ``@end{}``, ``@foreach{item : collection}``; ``$${`` is a literal
``${``. ``template_expressions`` lists the expression texts with their offsets, for
checks that must not render (import's fidelity report); the renderer parses the same
syntax with ``find_closing_brace``; ``render_placeholders`` renders one-line templates
(derived commands) in the engine.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from rules.expressions.compiler import compile_expression
from rules.expressions.errors import ExpressionLanguageError
from rules.expressions.formatting import format_value

OPENER = re.compile(r"\$\$\{|\$\{|@(if|else|end|foreach)?\{")
FOREACH = re.compile(r"^\s*([A-Za-z_$][A-Za-z0-9_$]*)\s*:(.*)$", re.DOTALL)


def find_closing_brace(text: str, start: int) -> int:
    """Index of the ``}`` matching an opening brace just before ``start``, or -1.

    Nested braces are counted; braces inside ``'…'``/``"…"`` strings (with
    backslash escapes) are ignored (spec §5.1).
    """
    depth = 0
    i = start
    n = len(text)
    while i < n:
        c = text[i]
        if c == "'" or c == '"':
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            if j >= n:
                return -1
            i = j + 1
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            if depth == 0:
                return i
            depth -= 1
        i += 1
    return -1


def template_expressions(text: str) -> Iterator[tuple[str, int]]:
    """(expression, offset in ``text``) of every placeholder and directive expression,
    in order; unterminated ones and empty ``@end{}``/``@else{}`` are skipped."""
    i = 0
    while True:
        match = OPENER.search(text, i)
        if match is None:
            return
        if match.group(0) == "$${":
            i = match.end()
            continue
        close = find_closing_brace(text, match.end())
        if close < 0:
            return
        i = close + 1
        directive = match.group(1)
        inner, offset = text[match.end() : close], match.end()
        if directive == "foreach":
            loop = FOREACH.match(inner)
            if loop is None:
                continue
            inner, offset = loop.group(2), offset + loop.start(2)
        if inner.strip():
            yield inner, offset


def render_placeholders(text: str, ctx: Any) -> tuple[str, list[str]]:
    """``text`` with each ``${expr}``/``@{expr}`` replaced by its value as text (``null``
    → ""), and the errors: a placeholder that fails stays as written (spec §5.1).
    ``$${`` is a literal ``${``. Directives (``@if``...) are left as written, each an
    error: this plain renderer serves one-line templates such as derived commands."""
    out: list[str] = []
    errors: list[str] = []
    i = 0
    while True:
        match = OPENER.search(text, i)
        if match is None:
            out.append(text[i:])
            return "".join(out), errors
        out.append(text[i : match.start()])
        if match.group(0) == "$${":
            out.append("${")
            i = match.end()
            continue
        close = find_closing_brace(text, match.end())
        if close < 0:
            errors.append(f"missing '}}' after {text[match.start() : match.start() + 20]}")
            out.append(text[match.start() :])
            return "".join(out), errors
        source = text[match.start() : close + 1]
        i = close + 1
        if match.group(1):
            errors.append(f"{source}: directives are not run in this template")
            out.append(source)
            continue
        try:
            value = compile_expression(text[match.end() : close], "template").evaluate(ctx)
        except (ExpressionLanguageError, ArithmeticError, TypeError, ValueError) as exc:
            errors.append(f"{source}: {exc}")
            out.append(source)
            continue
        out.append("" if value is None else format_value(value))
