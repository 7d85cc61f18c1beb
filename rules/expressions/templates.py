"""The expressions of a placeholder template (spec §5.1, §5.6) and a plain renderer.

``${expr}``, ``@{expr}``, ``@if{cond}``, ``@else{cond}`` and ``@foreach{item :
collection}`` hold expressions; ``$${`` is a literal ``${``. The notification renderer
parses templates with the same opener and brace rules (notifications.rendering);
checks at save and at import (binding forms, rules.xml) list their expressions with
``template_expressions``; ``render_placeholders`` renders one-line templates (derived
commands) in the engine.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
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


@dataclass(frozen=True)
class TemplateExpression:
    """One expression of a template: the directive as written (``${round(x)}``), the
    expression text and where that text starts in the template."""

    source: str
    expression: str
    offset: int


def template_expressions(text: str) -> Iterator[TemplateExpression]:
    """Every expression of ``text`` in order. Structure problems (a missing ``}``, a
    malformed ``@foreach``) are skipped here: the renderer's parser reports them."""
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
        if directive == "end" or (directive == "else" and not inner.strip()):
            continue
        if directive == "foreach":
            loop = FOREACH.match(inner)
            if loop is None:
                continue
            inner, offset = loop.group(2), offset + loop.start(2)
        yield TemplateExpression(text[match.start() : close + 1], inner, offset)


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
