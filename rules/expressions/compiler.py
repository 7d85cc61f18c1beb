"""Compile an AST into nested Python closures ``fn(ctx) -> value``.

No ``eval``/``exec``/``compile`` of Python code is involved (design invariant
4): every node becomes a small closure over its children's closures. Name,
function and method checks happen here, at compile time, with positions.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from rules.expressions import ast, fastpaths
from rules.expressions.context import EvalContext
from rules.expressions.datetime_value import DateTime
from rules.expressions.errors import (
    CancelAction,
    EvaluationError,
    ExpressionError,
)
from rules.expressions.functions import REGISTRY
from rules.expressions.functions import statistics as stat_fns
from rules.expressions.functions.registry import set_condition_compiler
from rules.expressions.members import (
    STATIC_FIELDS,
    STATIC_METHODS,
    call_method,
    get_index,
    get_member,
    is_known_method,
)
from rules.expressions.parser import parse
from rules.expressions.semantics import (
    add,
    arithmetic,
    between,
    contained_in,
    like,
    like_matcher,
    negate,
    ordering,
    require_bool,
    text_of,
    values_equal,
)
from rules.wildcards import PatternTooLong, check_length

Closure = Callable[[Any], Any]

KINDS = frozenset({"condition", "filter", "variable", "template"})
DATE_NAMES = frozenset({"now", "today", "yesterday", "tomorrow"})
# Functions whose first argument is itself an expression in a string literal.
_NESTED_CONDITION_FUNCTIONS = frozenset({"countIf", "avgIf", "sumIf"})
# Functions taking wildcard patterns: the argument position whose literals are checked
# against the pattern length limit at compile time.
_PATTERN_ARGUMENT = {"likeAny": 1, "matches": 0}
# Statistical functions that, called without arguments, return the window aggregate of
# the same name (keyed by implementation, so aliases such as mean() are covered).
_INCREMENTAL: dict[Callable[..., Any], str] = {
    stat_fns.count: "count",
    stat_fns.count_nan: "count_nan",
    stat_fns.sum_: "sum",
    stat_fns.avg: "avg",
    stat_fns.min_: "min",
    stat_fns.max_: "max",
    stat_fns.first: "first",
    stat_fns.last: "last",
}


@dataclass(frozen=True)
class CompiledExpression:
    """A compiled expression. ``evaluate(ctx)`` runs it; it is immutable and reusable.

    ``functions_used``/``names_used`` list the functions called and the
    top-level names read, for the import fidelity report.
    """

    text: str
    kind: str
    _fn: Closure = field(repr=False, compare=False)
    functions_used: frozenset[str] = frozenset()
    names_used: frozenset[str] = frozenset()
    # The expression as a window plan (see ``window_plan``) when it is made only of
    # window aggregates compared with numeric literals, joined by &&, || and !; else None.
    window_plan: Any = field(default=None, compare=False)

    def evaluate(self, ctx: EvalContext) -> Any:
        """Value of the expression in ``ctx``.

        Raises ``EvaluationError`` for every run-time failure (including
        unexpected Python errors of functions, chained as ``__cause__``) and
        lets ``CancelAction`` through for the renderer.
        """
        try:
            return self._fn(ctx)
        except (EvaluationError, CancelAction):
            raise
        except Exception as exc:
            raise self.error_for(exc) from exc

    @property
    def closure(self) -> Closure:
        """The compiled closure ``fn(ctx)`` itself, for loops that run it per sample: it
        raises whatever failed; ``error_for(exc)`` is what ``evaluate`` raises instead."""
        return self._fn

    @staticmethod
    def error_for(exc: Exception) -> Exception:
        """The exception ``evaluate`` raises when the closure raised ``exc``."""
        if isinstance(exc, EvaluationError | CancelAction):
            return exc
        if isinstance(exc, RecursionError):
            return EvaluationError("expression recursion too deep")
        return EvaluationError(f"{type(exc).__name__}: {exc}")

    def evaluate_bool(self, ctx: EvalContext) -> bool:
        """``evaluate`` for conditions and filters: a non-boolean result is an EvaluationError."""
        return require_bool(self.evaluate(ctx), f"result of {self.kind}")


@functools.lru_cache(maxsize=4096)
def compile_expression(text: str, kind: str = "condition") -> CompiledExpression:
    """Parse and compile ``text`` for use as ``kind`` (condition, filter, variable, template).

    Raises ``ExpressionError`` (with position) for syntax errors, unknown
    functions or methods, wrong argument counts, and statistical functions in
    filters. Results are cached: compiled expressions are immutable.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown expression kind {kind!r}")
    if not isinstance(text, str):
        raise TypeError("expression text must be a string")
    if not text.strip():
        raise ExpressionError("empty expression", 0, text)
    node = parse(text)
    compiler = _Compiler(text, kind)
    fn = compiler.compile(node)
    return CompiledExpression(
        text=text,
        kind=kind,
        _fn=fn,
        functions_used=frozenset(compiler.functions_used),
        names_used=frozenset(compiler.names_used),
        window_plan=window_plan(node),
    )


_AS = re.compile(r"\s+AS\s+", re.IGNORECASE)
_IDENT = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


def compile_variables(definitions: Iterable[str]) -> list[tuple[str, CompiledExpression]]:
    """Compile ``EXPR AS name`` definitions in order.

    The split is on the last `` AS `` (case-insensitive). Errors name the
    variable (or its position in the list) and keep the offset of the fault
    inside that definition.
    """
    result: list[tuple[str, CompiledExpression]] = []
    seen: set[str] = set()
    for number, definition in enumerate(definitions, start=1):
        matches = list(_AS.finditer(definition))
        if not matches:
            raise ExpressionError(
                f"variable #{number}: expected 'expression AS name'", 0, definition
            )
        last = matches[-1]
        expr_text, name = definition[: last.start()], definition[last.end() :].strip()
        if not _IDENT.match(name):
            raise ExpressionError(
                f"variable #{number}: invalid variable name {name!r}", last.end(), definition
            )
        if name in seen:
            raise ExpressionError(f"variable '{name}' defined twice", last.end(), definition)
        seen.add(name)
        try:
            compiled = compile_expression(expr_text, "variable")
        except ExpressionError as exc:
            raise ExpressionError(
                f"variable '{name}': {exc.message}", exc.position, definition
            ) from exc
        result.append((name, compiled))
    return result


def _like_literals(left: Closure, patterns: tuple[str, ...], negate: bool) -> Closure:
    """``left [NOT] LIKE`` literal pattern(s), matchers compiled once, here."""
    if len(patterns) == 1:
        matches = like_matcher(patterns[0])
        return lambda ctx: matches(text_of(left(ctx))) != negate
    matchers = tuple(like_matcher(p) for p in patterns)

    def like_any(ctx: Any) -> bool:
        text = text_of(left(ctx))
        return any(m(text) for m in matchers) != negate

    return like_any


def _const(value: Any) -> Closure:
    return lambda ctx: value


class _Compiler:
    """``specialise=False`` compiles every node generically: the reference the fast paths
    of ``rules.expressions.fastpaths`` are tested against."""

    def __init__(self, text: str, kind: str, specialise: bool = True) -> None:
        self.text = text
        self.kind = kind
        self.specialise = specialise
        self.functions_used: set[str] = set()
        self.names_used: set[str] = set()

    def error(self, message: str, node: ast.Node) -> ExpressionError:
        return ExpressionError(message, node.pos, self.text)

    def compile(self, node: ast.Node) -> Closure:
        method = getattr(self, "c_" + type(node).__name__)
        return method(node)

    # -- leaves ---------------------------------------------------------------
    def c_Literal(self, node: ast.Literal) -> Closure:
        return _const(node.value)

    def c_Name(self, node: ast.Name) -> Closure:
        name = node.name
        if name in STATIC_METHODS or name in STATIC_FIELDS:
            raise self.error(f"'{name}' is a class, not a value", node)
        self.names_used.add(name)
        if name in DATE_NAMES:
            return _date_name(name)

        def lookup(ctx: Any) -> Any:
            return ctx.lookup(name)

        return lookup

    def c_ListLit(self, node: ast.ListLit) -> Closure:
        items = [self.compile(item) for item in node.items]
        if node.parenthesised and len(items) == 1:
            only = items[0]

            def single(ctx: Any) -> Any:
                # x IN (listVar) means the list itself; x IN ('a') a one-item list.
                v = only(ctx)
                return v if isinstance(v, list | tuple | set | frozenset) else [v]

            return single
        return lambda ctx: [item(ctx) for item in items]

    def c_MapLit(self, node: ast.MapLit) -> Closure:
        entries = [(self.compile(k), self.compile(v)) for k, v in node.entries]
        return lambda ctx: {k(ctx): v(ctx) for k, v in entries}

    # -- access ----------------------------------------------------------------
    def c_Member(self, node: ast.Member) -> Closure:
        name = node.name
        if isinstance(node.target, ast.Name) and node.target.name in STATIC_FIELDS:
            fields = STATIC_FIELDS[node.target.name]
            if name not in fields:
                raise self.error(f"unknown field '{node.target.name}.{name}'", node)
            return _const(fields[name])
        target = self.compile(node.target)
        return lambda ctx: get_member(target(ctx), name)

    def c_Index(self, node: ast.Index) -> Closure:
        target = self.compile(node.target)
        index = self.compile(node.index)
        return lambda ctx: get_index(target(ctx), index(ctx))

    def c_MethodCall(self, node: ast.MethodCall) -> Closure:
        name = node.name
        args = [self.compile(a) for a in node.args]
        if isinstance(node.target, ast.Name) and node.target.name in STATIC_METHODS:
            cls = node.target.name
            impl = STATIC_METHODS[cls].get(name)
            if impl is None:
                raise self.error(f"unknown method '{cls}.{name}'", node)
            self.functions_used.add(f"{cls}.{name}")
            return lambda ctx: impl(*[a(ctx) for a in args])
        if not is_known_method(name):
            raise self.error(f"unknown method '{name}'", node)
        target = self.compile(node.target)
        return lambda ctx: call_method(target(ctx), name, [a(ctx) for a in args])

    def c_Call(self, node: ast.Call) -> Closure:
        fn = REGISTRY.get(node.name)
        if fn is None:
            raise self.error(f"unknown function '{node.name}'", node)
        nargs = len(node.args)
        if nargs < fn.min_args or (fn.max_args is not None and nargs > fn.max_args):
            raise self.error(
                f"function '{node.name}' takes {_arity_text(fn.min_args, fn.max_args)}, "
                f"got {nargs}",
                node,
            )
        statistical = fn.is_statistical(nargs)
        if statistical and self.kind == "filter":
            raise self.error(f"statistical function '{node.name}' is not allowed in a filter", node)
        if node.name in _NESTED_CONDITION_FUNCTIONS and node.args:
            self._check_nested_condition(node.args[0])
        pattern_at = _PATTERN_ARGUMENT.get(node.name)
        if pattern_at is not None and pattern_at < nargs:
            self._literal_patterns(node.args[pattern_at])
        self.functions_used.add(node.name)
        impl = fn.impl
        if statistical and self.specialise:
            fast = _incremental_call(impl, node.args)
            if fast is not None:
                return fast
        args = [self.compile(a) for a in node.args]

        if statistical:

            def call_stat(ctx: Any) -> Any:
                # In filters ATSD statistical functions return 0 (spec §3.1 step 7).
                if ctx.window is None:
                    return 0
                return impl(ctx, *[a(ctx) for a in args])

            return call_stat
        if not args:
            return lambda ctx: impl(ctx)
        return lambda ctx: impl(ctx, *[a(ctx) for a in args])

    def _literal_patterns(self, node: ast.Node) -> tuple[str, ...] | None:
        """The wildcard patterns ``node`` spells when it is a string literal or a list
        of them (None otherwise), each checked against the length limit here so that an
        over-long pattern is an error at save time, with its position."""
        items = node.items if isinstance(node, ast.ListLit) else (node,)
        patterns = []
        for item in items:
            if not (isinstance(item, ast.Literal) and isinstance(item.value, str)):
                return None
            try:
                patterns.append(check_length(item.value))
            except PatternTooLong as exc:
                raise self.error(str(exc), item) from None
        return tuple(patterns)

    def _check_nested_condition(self, arg: ast.Node) -> None:
        if not (isinstance(arg, ast.Literal) and isinstance(arg.value, str)):
            return
        try:
            compile_expression(arg.value, "condition")
        except ExpressionError as exc:
            # Quotes and escapes make the inner offset approximate; point into the string.
            raise ExpressionError(
                f"in condition string: {exc.message}", arg.pos + 1 + exc.position, self.text
            ) from exc

    # -- operators -------------------------------------------------------------
    def c_Unary(self, node: ast.Unary) -> Closure:
        folded = fastpaths.numeric_literal(node) if self.specialise else None
        if folded is not None:
            return _const(folded)
        operand = self.compile(node.operand)
        if node.op == "!":
            if self.specialise and fastpaths.is_boolean(node.operand):
                return fastpaths.negation(operand)
            return lambda ctx: not require_bool(operand(ctx), "operand of '!'")
        return lambda ctx: negate(operand(ctx))

    def c_Binary(self, node: ast.Binary) -> Closure:
        op = node.op
        specialise = self.specialise
        if specialise and op in _COMPARISONS:
            fast = self._compare_literal(node)
            if fast is not None:
                return fast
        left = self.compile(node.left)
        right = self.compile(node.right)
        if specialise and op in ("&&", "||"):
            lb, rb = fastpaths.is_boolean(node.left), fastpaths.is_boolean(node.right)
            if lb or rb:
                return fastpaths.logical(op, left, right, lb, rb)
        if op == "&&":

            def and_(ctx: Any) -> bool:
                if not require_bool(left(ctx), "left operand of AND"):
                    return False
                return require_bool(right(ctx), "right operand of AND")

            return and_
        if op == "||":

            def or_(ctx: Any) -> bool:
                if require_bool(left(ctx), "left operand of OR"):
                    return True
                return require_bool(right(ctx), "right operand of OR")

            return or_
        if op == "==":
            return lambda ctx: values_equal(left(ctx), right(ctx))
        if op == "!=":
            return lambda ctx: not values_equal(left(ctx), right(ctx))
        if op in ("<", "<=", ">", ">="):
            return lambda ctx: ordering(op, left(ctx), right(ctx))
        if op == "+":
            return lambda ctx: add(left(ctx), right(ctx))
        if op in ("-", "*", "/", "%"):
            return lambda ctx: arithmetic(op, left(ctx), right(ctx))
        neg = node.negate
        if op == "LIKE":
            patterns = self._literal_patterns(node.right)
            if specialise and patterns is not None:
                return _like_literals(left, patterns, neg)
            return lambda ctx: like(left(ctx), right(ctx)) != neg
        if op == "IN":
            return lambda ctx: contained_in(left(ctx), right(ctx)) != neg
        raise self.error(f"unsupported operator {op}", node)  # pragma: no cover

    def _compare_literal(self, node: ast.Binary) -> Closure | None:
        """A comparison of an expression with a numeric literal (either side), or None."""
        c = fastpaths.numeric_literal(node.right)
        if c is not None:
            return fastpaths.compare_literal(node.op, self.compile(node.left), c, False)
        c = fastpaths.numeric_literal(node.left)
        if c is not None:
            return fastpaths.compare_literal(node.op, self.compile(node.right), c, True)
        return None

    def c_Between(self, node: ast.Between) -> Closure:
        operand = self.compile(node.operand)
        low = self.compile(node.low)
        high = self.compile(node.high)
        neg = node.negate
        return lambda ctx: between(operand(ctx), low(ctx), high(ctx)) != neg

    def c_Ternary(self, node: ast.Ternary) -> Closure:
        cond = self.compile(node.cond)
        then = self.compile(node.then)
        otherwise = self.compile(node.otherwise)

        def ternary(ctx: Any) -> Any:
            if require_bool(cond(ctx), "condition of '?:'"):
                return then(ctx)
            return otherwise(ctx)

        return ternary


_COMPARISONS = frozenset({"<", "<=", ">", ">=", "==", "!="})


def _incremental_call(impl: Callable[..., Any], args: tuple[ast.Node, ...]) -> Closure | None:
    """The window aggregate a statistical call reads, when the call is one of them
    (``avg()``, ``max()``, ``percentile(95)``, ``median()``...), else None."""
    if not args:
        method = _INCREMENTAL.get(impl)
        if method is not None:
            return fastpaths.window_reader(method)
        if impl is stat_fns.median:
            return fastpaths.window_percentile(50.0)
        return None
    if impl is stat_fns.percentile and len(args) == 1:
        p = fastpaths.numeric_literal(args[0])
        if p is not None and 0 <= p <= 100:
            return fastpaths.window_percentile(float(p))
    return None


def window_plan(node: ast.Node) -> Any:
    """The expression as nested tuples when it only compares window aggregates (called
    without selector) with numeric literals and joins such comparisons with ``&&``,
    ``||`` and ``!``, e.g. ``avg() > 10 || max() > 85``; else None:

    * ``("cmp", aggregate, op, c)``: ``aggregate op c`` with the aggregate on the left
      (``10 < avg()`` becomes ``("cmp", "avg", ">", 10)``); ``aggregate`` is a
      ``SampleWindow`` method name (``avg``, ``count_nan``...) or ``("percentile", p)``;
    * ``("and", a, b)``, ``("or", a, b)``, ``("not", a)``.

    With a window whose aggregates return plain numbers (the engine's windows) a plan
    gives exactly what the compiled closure gives, without the scope: the engine
    evaluates such conditions straight on the window (``rules.engine.aggregates``).
    """
    if isinstance(node, ast.Binary):
        op = node.op
        if op in ("&&", "||"):
            a = window_plan(node.left)
            if a is None:
                return None
            b = window_plan(node.right)
            return None if b is None else ("and" if op == "&&" else "or", a, b)
        if op in _COMPARISONS:
            c = fastpaths.numeric_literal(node.right)
            if c is not None:
                agg = _window_aggregate(node.left)
                return None if agg is None else ("cmp", agg, op, c)
            c = fastpaths.numeric_literal(node.left)
            if c is not None:
                agg = _window_aggregate(node.right)
                return None if agg is None else ("cmp", agg, fastpaths.FLIP[op], c)
        return None
    if isinstance(node, ast.Unary) and node.op == "!":
        a = window_plan(node.operand)
        return None if a is None else ("not", a)
    return None


def _window_aggregate(node: ast.Node) -> str | tuple[str, float] | None:
    """What ``_incremental_call`` reads for a call node, as a plan aggregate, or None."""
    if not isinstance(node, ast.Call):
        return None
    fn = REGISTRY.get(node.name)
    if fn is None or not fn.is_statistical(len(node.args)):
        return None
    impl, args = fn.impl, node.args
    if not args:
        if impl is stat_fns.median:
            return ("percentile", 50.0)
        return _INCREMENTAL.get(impl)
    if impl is stat_fns.percentile and len(args) == 1:
        p = fastpaths.numeric_literal(args[0])
        if p is not None and 0 <= p <= 100:
            return ("percentile", float(p))
    return None


def _arity_text(lo: int, hi: int | None) -> str:
    if hi is None:
        return f"at least {lo} argument{'s' if lo != 1 else ''}"
    if lo == hi:
        return f"{lo} argument{'s' if lo != 1 else ''}"
    return f"{lo} to {hi} arguments"


def _date_name(name: str) -> Closure:
    """now / today / yesterday / tomorrow from ctx.now_ms and ctx.zone."""
    if name == "now":
        return lambda ctx: DateTime(ctx.now_ms, ctx.zone)
    shift = {"today": 0, "yesterday": -1, "tomorrow": 1}[name]

    def day(ctx: Any) -> DateTime:
        start = DateTime(ctx.now_ms, ctx.zone).start_of_day()
        return start.add(shift, "day") if shift else start

    return day


def _compile_condition(text: str) -> CompiledExpression:
    return compile_expression(text, "condition")


set_condition_compiler(_compile_condition)
