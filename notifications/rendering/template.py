"""Placeholder templates (spec §5.1, §5.3, §5.6): ``${expr}``, ``@{expr}`` and
``@if{}``/``@else{}``/``@end{}``/``@foreach{item : collection}``.

A template is parsed once (cached by text) into a small node tree whose
expressions are compiled by the project's own expression compiler (design
invariant 4: never ``eval``/``exec``), then rendered against an ``EvalContext``
such as ``TriggerScope``.

Errors never stop a send: a placeholder that fails to compile or evaluate stays
in the text unchanged and is reported as a ``PlaceholderError`` for the Rule
Errors page; a failing ``@if`` condition counts as false, a failing
``@foreach`` collection as empty. ``cancelAction()`` anywhere sets
``cancelled``.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from notifications.rendering.links import LinkValue, Markup
from rules.expressions import CancelAction, EvaluationError, ExpressionError, compile_expression
from rules.expressions.compiler import CompiledExpression
from rules.expressions.formatting import format_value
from rules.expressions.templates import FOREACH, OPENER, find_closing_brace


@dataclass(frozen=True, slots=True)
class PlaceholderError:
    """A placeholder or directive that failed: its expression text, the reason, and the
    0-based offset of its ``${``/``@`` in the template."""

    expression: str
    message: str
    position: int


@dataclass(frozen=True, slots=True)
class RenderResult:
    """Rendered ``text`` (trimmed), the ``errors`` to record, whether
    ``cancelAction()`` cancelled the send (then ``text`` is ``''``), and the
    ``addPortal()`` screenshots it asked for (``PortalRequest``s, set by
    ``render_message``)."""

    text: str
    errors: list[PlaceholderError] = field(default_factory=list)
    cancelled: bool = False
    portals: list[Any] = field(default_factory=list)


# -- nodes --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Code:
    """An expression of the template: compiled, or the compile error to report."""

    source: str  # the template text it came from, kept when evaluation fails
    text: str  # the expression itself
    position: int
    compiled: CompiledExpression | None
    error: str | None


@dataclass(frozen=True, slots=True)
class _Text:
    text: str


@dataclass(frozen=True, slots=True)
class _Placeholder:
    code: _Code


@dataclass(slots=True)
class _If:
    branches: list[tuple[_Code | None, list[Any]]]  # None condition = @else{}


@dataclass(slots=True)
class _Foreach:
    variable: str
    collection: _Code
    body: list[Any]


@dataclass(frozen=True, slots=True)
class ParsedTemplate:
    """A template's node tree and the structural errors found while parsing it."""

    nodes: tuple[Any, ...]
    errors: tuple[PlaceholderError, ...]


# -- parsing ------------------------------------------------------------------------


def _code(source: str, text: str, position: int) -> _Code:
    try:
        return _Code(source, text, position, compile_expression(text, "template"), None)
    except ExpressionError as exc:
        return _Code(source, text, position, None, str(exc.with_source(text)))


@functools.lru_cache(maxsize=1024)
def parse_template(template: str) -> ParsedTemplate:
    """Parse ``template`` once; the result is cached by text and never mutated."""
    root: list[Any] = []
    errors: list[PlaceholderError] = []
    # Open blocks: (node, body list currently filled, directive source, position).
    stack: list[tuple[Any, list[Any], str, int]] = []
    current = root
    text: list[str] = []

    def flush() -> None:
        if text:
            current.append(_Text("".join(text)))
            text.clear()

    i = 0
    n = len(template)
    while i < n:
        m = OPENER.search(template, i)
        if m is None:
            text.append(template[i:])
            break
        text.append(template[i : m.start()])
        opener = m.group(0)
        if opener == "$${":
            text.append("${")  # $${ escapes a literal ${ (spec §5.1 decision)
            i = m.end()
            continue
        close = find_closing_brace(template, m.end())
        if close < 0:
            # No matching brace: keep the rest as it is and say why.
            errors.append(PlaceholderError(template[m.start() :], "missing closing '}'", m.start()))
            text.append(template[m.start() :])
            break
        source = template[m.start() : close + 1]
        inner = template[m.end() : close]
        i = close + 1
        directive = m.group(1)
        if directive is None:
            flush()
            current.append(_Placeholder(_code(source, inner, m.start())))
            continue
        if directive == "if":
            flush()
            if_node = _If([(_code(source, inner, m.start()), [])])
            current.append(if_node)
            stack.append((if_node, if_node.branches[0][1], source, m.start()))
            current = if_node.branches[0][1]
        elif directive == "foreach":
            fm = FOREACH.match(inner)
            flush()
            if fm is None or not fm.group(2).strip():
                errors.append(
                    PlaceholderError(inner, "expected '@foreach{item : collection}'", m.start())
                )
                code = _Code(source, inner, m.start(), None, None)
                loop = _Foreach("", code, [])
            else:
                loop = _Foreach(fm.group(1), _code(source, fm.group(2), m.start()), [])
            current.append(loop)
            stack.append((loop, loop.body, source, m.start()))
            current = loop.body
        elif directive == "else":
            top = stack[-1][0] if stack else None
            if not isinstance(top, _If) or top.branches[-1][0] is None:
                errors.append(
                    PlaceholderError(source, "'@else' without a matching '@if'", m.start())
                )
                text.append(source)
                continue
            flush()
            cond = _code(source, inner, m.start()) if inner.strip() else None
            body: list[Any] = []
            top.branches.append((cond, body))
            stack[-1] = (top, body, stack[-1][2], stack[-1][3])
            current = body
        else:  # end
            if not stack:
                errors.append(PlaceholderError(source, "'@end' without an open block", m.start()))
                text.append(source)
                continue
            flush()
            stack.pop()
            current = stack[-1][1] if stack else root
    flush()
    for _node, _body, source, position in stack:
        errors.append(PlaceholderError(source, "block not closed by '@end{}'", position))
    return ParsedTemplate(tuple(root), tuple(errors))


# -- rendering ------------------------------------------------------------------------


class OverlayScope:
    """The enclosing context with some names bound over it (an ``@foreach`` variable, a
    Custom endpoint's rule parameters)."""

    def __init__(self, parent: Any, values: Mapping[str, Any]) -> None:
        self.parent = parent
        self.values = dict(values)
        self.now_ms = parent.now_ms
        self.zone = parent.zone
        self.window = parent.window
        self.link_style = getattr(parent, "link_style", "none")
        self.map_format = getattr(parent, "map_format", "legacy")
        self.stores = getattr(parent, "stores", None)  # what store functions read

    def lookup(self, name: str) -> Any:
        return self.values[name] if name in self.values else self.parent.lookup(name)

    def line_value(self, metric: str) -> float | None:
        return self.parent.line_value(metric)

    def rule_open(self, rule: str, entity: str | None, expression: str | None) -> bool:
        return self.parent.rule_open(rule, entity, expression)


class _Renderer:
    def __init__(
        self,
        html_escape: bool,
        escape: Callable[[str], str] | None = None,
        escape_markup: bool = True,
    ) -> None:
        self.html_escape = html_escape
        self.escape = escape
        self.escape_markup = escape_markup
        self.errors: list[PlaceholderError] = []

    def fail(self, code: _Code, message: str) -> None:
        self.errors.append(PlaceholderError(code.text, message, code.position))

    def evaluate(self, code: _Code, ctx: Any) -> tuple[bool, Any]:
        """(ok, value); compile and evaluation errors are recorded, CancelAction passes."""
        if code.compiled is None:
            if code.error is not None:
                self.fail(code, code.error)
            return False, None
        try:
            return True, code.compiled.evaluate(ctx)
        except EvaluationError as exc:
            self.fail(code, str(exc))
            return False, None

    def text_of(self, value: Any, ctx: Any) -> str:
        if self.escape is not None:
            if isinstance(value, LinkValue):
                style = getattr(ctx, "link_style", "none")
                return value.markup(style) if style != "none" else self.escape(value.url)
            if isinstance(value, Markup):
                text = str.__str__(value)
                return self.escape(text) if self.escape_markup else text
            return self.escape(format_value(value, getattr(ctx, "map_format", "legacy")))
        if isinstance(value, LinkValue):
            # Html messages always inline links as <a>; others follow the endpoint style.
            style = "html" if self.html_escape else getattr(ctx, "link_style", "none")
            if style != "none":
                return value.markup(style)
            return html.escape(value.url) if self.html_escape else value.url
        if isinstance(value, Markup):
            return str.__str__(value)
        text = format_value(value, getattr(ctx, "map_format", "legacy"))
        return html.escape(text) if self.html_escape else text

    def render(self, nodes: Any, ctx: Any, out: list[str]) -> None:
        for node in nodes:
            if isinstance(node, _Text):
                out.append(node.text)
            elif isinstance(node, _Placeholder):
                ok, value = self.evaluate(node.code, ctx)
                out.append(self.text_of(value, ctx) if ok else node.code.source)
            elif isinstance(node, _If):
                for cond, body in node.branches:
                    if cond is None or self.condition(cond, ctx):
                        self.render(body, ctx, out)
                        break
            elif isinstance(node, _Foreach):
                for item in self.items(node, ctx):
                    self.render(node.body, OverlayScope(ctx, {node.variable: item}), out)

    def condition(self, code: _Code, ctx: Any) -> bool:
        ok, value = self.evaluate(code, ctx)
        if not ok:
            return False
        if not isinstance(value, bool):
            self.fail(code, f"condition returned {format_value(value)!r}, not a boolean")
            return False
        return value

    def items(self, node: _Foreach, ctx: Any) -> list[Any]:
        if not node.variable:
            return []  # malformed @foreach: reported at parse time
        ok, value = self.evaluate(node.collection, ctx)
        if not ok or value is None:
            return []
        if isinstance(value, Mapping):
            return sorted(value, key=str)  # keys, in the order maps print (spec §5.3)
        if isinstance(value, list | tuple):
            return list(value)
        if isinstance(value, set | frozenset):
            return sorted(value, key=str)
        self.fail(node.collection, f"cannot iterate over {format_value(value)!r}")
        return []


def render(
    template: str,
    scope: Any,
    *,
    html_escape: bool = False,
    trim: bool = True,
    escape: Callable[[str], str] | None = None,
    escape_markup: bool = True,
) -> RenderResult:
    """Render ``template`` against ``scope`` (an ``EvalContext``, e.g. ``TriggerScope``).

    Placeholder values are formatted per spec §5.3 (``null`` → ``''``, maps
    ``{k=v}`` or ``[k: v]`` per ``scope.map_format``). With ``html_escape`` the
    values — never the template text — are HTML-escaped and link fields become
    ``<a>`` elements; otherwise link fields follow ``scope.link_style``. Values of
    type ``Markup`` (html details tables, ``getXxxLink()``) are inserted as they are.
    ``escape``, when given, is applied to every value's text instead (links inlined in
    the scope's style, or bare URLs escaped too): URL-encoding for a URL, JSON string
    escaping for a JSON body (spec §5.1), backslashes for Markdown; ``Markup`` values
    too unless ``escape_markup`` is false (they are already in a Markdown message's
    syntax, but not in a JSON string's).
    The text is trimmed unless ``trim`` is false. An empty result means "do not
    send" to the caller (spec §5.1); ``cancelled`` means ``cancelAction()`` ran.
    """
    parsed = parse_template(template)
    renderer = _Renderer(html_escape, escape, escape_markup)
    out: list[str] = []
    try:
        renderer.render(parsed.nodes, scope, out)
    except CancelAction:
        return RenderResult("", [*parsed.errors, *renderer.errors], cancelled=True)
    text = "".join(out)
    return RenderResult(text.strip() if trim else text, [*parsed.errors, *renderer.errors])
