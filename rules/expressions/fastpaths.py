"""Specialised closures for the shapes conditions take most often (design "Performance shape").

A condition such as ``avg() > 10 || max() > 85`` runs once per sample, so the compiler
replaces a few generic closures with narrower ones when the AST proves it safe:

* a statistical call without selector reads the window's incremental aggregate directly
  (``window_reader``), as the registered function itself would;
* a comparison with a numeric literal compares plain ``int``/``float`` operands in place
  and hands everything else (null, strings, dates, booleans, foreign numbers) to the
  generic §4.3 semantics (``compare_literal``). For numbers the result is identical:
  ``semantics.compare`` is false for NaN on either side, and so are Python's ``<``,
  ``<=``, ``>``, ``>=`` and ``==`` (``!=`` is true);
* ``&&``/``||``/``!`` over operands that always produce a boolean skip the run-time
  boolean check (``logical``, ``negation``).

Every closure here returns exactly what the generic closure would, or raises the same
error; ``tests/unit/expressions/test_fastpaths.py`` checks that for every shape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rules.expressions import ast
from rules.expressions.semantics import ordering, require_bool, values_equal

Closure = Callable[[Any], Any]

# -- window reads ---------------------------------------------------------------------
# One function per aggregate instead of a generic getattr: this runs once per sample.
# In filters (no window) statistical functions return 0 (spec §3.1 step 7).


def _count(ctx: Any) -> Any:
    w = ctx.window
    return 0 if w is None else w.count()


def _count_nan(ctx: Any) -> Any:
    w = ctx.window
    return 0 if w is None else w.count_nan()


def _sum(ctx: Any) -> Any:
    w = ctx.window
    return 0 if w is None else w.sum()


def _avg(ctx: Any) -> Any:
    w = ctx.window
    return 0 if w is None else w.avg()


def _min(ctx: Any) -> Any:
    w = ctx.window
    return 0 if w is None else w.min()


def _max(ctx: Any) -> Any:
    w = ctx.window
    return 0 if w is None else w.max()


def _first(ctx: Any) -> Any:
    w = ctx.window
    return 0 if w is None else w.first()


def _last(ctx: Any) -> Any:
    w = ctx.window
    return 0 if w is None else w.last()


WINDOW_READERS: dict[str, Closure] = {
    "count": _count,
    "count_nan": _count_nan,
    "sum": _sum,
    "avg": _avg,
    "min": _min,
    "max": _max,
    "first": _first,
    "last": _last,
}


def window_reader(method: str) -> Closure:
    """``ctx.window.<method>()``, 0 without a window."""
    return WINDOW_READERS[method]


def window_percentile(p: float) -> Closure:
    """``ctx.window.percentile(p)`` for a literal p already checked to be in [0, 100]."""

    def percentile(ctx: Any) -> Any:
        w = ctx.window
        return 0 if w is None else w.percentile(p)

    return percentile


# -- literals --------------------------------------------------------------------------


def numeric_literal(node: ast.Node) -> int | float | None:
    """The value of an int/float literal, negated ones (``-5``) included, else None.
    Booleans are not numbers here."""
    if isinstance(node, ast.Literal):
        v = node.value
        t = type(v)
        if t is int or t is float:
            return v
    elif isinstance(node, ast.Unary) and node.op == "-":
        v = numeric_literal(node.operand)
        if v is not None:
            return -v  # what semantics.negate gives for a number
    return None


# -- comparisons -----------------------------------------------------------------------

FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def compare_literal(op: str, operand: Closure, c: int | float, literal_left: bool) -> Closure:
    """``operand op c`` (or ``c op operand`` when ``literal_left``) for a numeric literal c.

    Plain numbers compare in place; any other operand goes to the generic function with
    the operands in their written order, so errors read exactly as without this path.
    """
    fast = FLIP[op] if literal_left else op
    if op in ("==", "!="):
        negate = op == "!="

        def generic_eq(x: Any) -> bool:
            eq = values_equal(c, x) if literal_left else values_equal(x, c)
            return not eq if negate else eq

        if negate:

            def ne(ctx: Any) -> bool:
                x = operand(ctx)
                t = type(x)
                if t is float or t is int:
                    return x != c
                return generic_eq(x)

            return ne

        def eq(ctx: Any) -> bool:
            x = operand(ctx)
            t = type(x)
            if t is float or t is int:
                return x == c
            return generic_eq(x)

        return eq

    def generic(x: Any) -> bool:
        return ordering(op, c, x) if literal_left else ordering(op, x, c)

    if fast == ">":

        def gt(ctx: Any) -> bool:
            x = operand(ctx)
            t = type(x)
            if t is float or t is int:
                return x > c
            return generic(x)

        return gt
    if fast == ">=":

        def ge(ctx: Any) -> bool:
            x = operand(ctx)
            t = type(x)
            if t is float or t is int:
                return x >= c
            return generic(x)

        return ge
    if fast == "<":

        def lt(ctx: Any) -> bool:
            x = operand(ctx)
            t = type(x)
            if t is float or t is int:
                return x < c
            return generic(x)

        return lt

    def le(ctx: Any) -> bool:
        x = operand(ctx)
        t = type(x)
        if t is float or t is int:
            return x <= c
        return generic(x)

    return le


# -- boolean operators -------------------------------------------------------------------

# Operators whose generic closure always returns a bool (or raises).
_BOOLEAN_OPS = frozenset({"&&", "||", "==", "!=", "<", "<=", ">", ">=", "LIKE", "IN"})


def is_boolean(node: ast.Node) -> bool:
    """Whether the compiled node always evaluates to a bool (or raises)."""
    if isinstance(node, ast.Binary):
        return node.op in _BOOLEAN_OPS
    if isinstance(node, ast.Between):
        return True
    if isinstance(node, ast.Unary):
        return node.op == "!"
    if isinstance(node, ast.Literal):
        return type(node.value) is bool
    return False


def logical(op: str, left: Closure, right: Closure, left_bool: bool, right_bool: bool) -> Closure:
    """``&&``/``||`` with short-circuit; the boolean check stays on a side only when that
    side may produce something else (it then raises as the generic operator does)."""
    if op == "&&":
        if left_bool and right_bool:

            def and_bool(ctx: Any) -> bool:
                return left(ctx) and right(ctx)

            return and_bool

        def and_(ctx: Any) -> bool:
            a = left(ctx)
            if not (a if left_bool else require_bool(a, "left operand of AND")):
                return False
            b = right(ctx)
            return b if right_bool else require_bool(b, "right operand of AND")

        return and_
    if left_bool and right_bool:

        def or_bool(ctx: Any) -> bool:
            return left(ctx) or right(ctx)

        return or_bool

    def or_(ctx: Any) -> bool:
        a = left(ctx)
        if a if left_bool else require_bool(a, "left operand of OR"):
            return True
        b = right(ctx)
        return b if right_bool else require_bool(b, "right operand of OR")

    return or_


def negation(operand: Closure) -> Closure:
    """``!x`` for an operand that always produces a bool."""
    return lambda ctx: not operand(ctx)
