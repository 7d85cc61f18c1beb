"""The specialised closures give what the generic closures give (rules.expressions.fastpaths).

Every expression is compiled twice: as in production (fast paths on) and with
``specialise=False`` (every node generic), then both run on the same values, including
NaN, infinities, null, booleans, numeric and plain strings, dates, lists, and windows
whose aggregates return such values. Results must be equal in type and value, errors
equal in type and message.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.expressions import fastpaths
from rules.expressions.compiler import CompiledExpression, _Compiler, compile_expression
from rules.expressions.datetime_value import DateTime
from rules.expressions.parser import parse
from tests.unit.expressions.doubles import DictContext, ListWindow


def generic(text: str, kind: str = "condition") -> CompiledExpression:
    compiler = _Compiler(text, kind, specialise=False)
    return CompiledExpression(text, kind, compiler.compile(parse(text)))


def outcome(expr: CompiledExpression, ctx: Any) -> tuple[str, Any]:
    try:
        value = expr.evaluate(ctx)
    except Exception as exc:
        return ("error", f"{type(exc).__name__}: {exc}")
    if isinstance(value, float) and math.isnan(value):
        return ("nan", None)
    return (type(value).__name__, value)


def assert_same(text: str, ctx: Any) -> None:
    fast, slow = compile_expression(text), generic(text)
    assert outcome(fast, ctx) == outcome(slow, ctx), text


class ConstWindow:
    """A window whose every aggregate returns ``value`` (whatever its type)."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def times(self) -> list[int]:
        return [0]

    def values(self) -> list[float]:
        return [1.0]

    def count(self) -> Any:
        return self.value

    count_nan = sum = avg = min = max = first = last = count

    def percentile(self, p: float) -> Any:
        return self.value


ANY_VALUE = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.sampled_from(
        [
            math.nan,
            math.inf,
            -math.inf,
            0.0,
            -0.0,
            0,
            10,
            10.0,
            None,
            True,
            False,
            "",
            "10",
            " 10.5 ",
            "1e3",
            "abc",
            "NaN",
            "2024-01-01T00:00:00Z",
            DateTime(1_700_000_000_000, "UTC"),
            [1, 2],
            {"a": 1},
        ]
    ),
    st.text(max_size=5),
)
LITERALS = ["10", "-5", "2.5", "0", "-0.0", "1e308", "85", "9007199254740993"]
OPS = ["<", "<=", ">", ">=", "==", "!="]
FUNCTIONS = [
    "avg()",
    "mean()",
    "sum()",
    "min()",
    "max()",
    "count()",
    "countNaN()",
    "first()",
    "last()",
    "median()",
]
FUNCTIONS += ["percentile(95)", "percentile(0)", "percentile(100)"]


@settings(max_examples=300, deadline=None)
@given(x=ANY_VALUE, op=st.sampled_from(OPS), lit=st.sampled_from(LITERALS), left=st.booleans())
def test_comparison_with_a_literal_matches_the_generic_path(x, op, lit, left):
    text = f"{lit} {op} x" if left else f"x {op} {lit}"
    assert_same(text, DictContext({"x": x}))


@settings(max_examples=300, deadline=None)
@given(
    v=ANY_VALUE,
    fn=st.sampled_from(FUNCTIONS),
    op=st.sampled_from(OPS),
    lit=st.sampled_from(LITERALS),
)
def test_window_aggregates_match_the_generic_path(v, fn, op, lit):
    ctx = DictContext(window=ConstWindow(v))
    assert_same(fn, ctx)
    assert_same(f"{fn} {op} {lit}", ctx)


@pytest.mark.parametrize(
    "text",
    ["avg()", "max() > 85", "percentile(95) > 80", "median() < 1", "count() == 0", "last() != 1"],
)
def test_window_aggregates_without_a_window_read_zero_as_before(text):
    assert_same(text, DictContext())


@pytest.mark.parametrize("text", ["percentile(101) > 1", "percentile(-1)", "percentile('x')"])
def test_invalid_percentiles_still_fail_at_run_time(text):
    ctx = DictContext(window=ListWindow.of([1.0, 2.0]))
    fast = outcome(compile_expression(text), ctx)
    assert fast[0] == "error"
    assert fast == outcome(generic(text), ctx)


@settings(max_examples=300, deadline=None)
@given(
    a=ANY_VALUE,
    b=ANY_VALUE,
    text=st.sampled_from(
        [
            "a > 10 || b < 5",
            "a > 10 && b < 5",
            "a || b > 1",
            "a > 1 || b",
            "a && b > 1",
            "a > 1 && b",
            "!(a > 1)",
            "!a",
            "NOT (a == 2 || b != 3)",
            "(a > 1 || b > 1) && (a < 100 || b LIKE '1*')",
            "a BETWEEN 1 AND 5 || b IN (1, 2)",
            "a > -1 ? b : a",
            "-a > -5",
            "a + 1 > 10",
        ]
    ),
)
def test_boolean_operators_match_the_generic_path(a, b, text):
    assert_same(text, DictContext({"a": a, "b": b}))


LIKE_PATTERN = st.text(alphabet="ab*?", max_size=5).map(lambda p: "'" + p + "'")


@settings(max_examples=300, deadline=None)
@given(
    a=st.one_of(ANY_VALUE, st.text(alphabet="ab", max_size=6)),
    patterns=st.lists(LIKE_PATTERN, min_size=1, max_size=3),
    shape=st.sampled_from(["a LIKE {}", "a NOT LIKE {}", "a LIKE [{}]", "a NOT LIKE ({})"]),
)
def test_like_with_literal_patterns_matches_the_generic_path(a, patterns, shape):
    text = shape.format(", ".join(patterns) if "[" in shape or "(" in shape else patterns[0])
    assert_same(text, DictContext({"a": a}))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("avg() > 10 || max() > 85", False),
        ("avg() > 1 || max() > 85", True),
        ("avg() > 10 && max() > 85", False),
        ("max() > 2.5", True),
        ("-1 < min()", True),
        ("percentile(95) > 2", True),
        ("count() == 3", True),
    ],
)
def test_walkthrough_shapes_on_a_real_window(text, expected):
    window = ListWindow.of([1.0, math.nan, 2.0, 3.0])
    ctx = DictContext(window=window)
    assert compile_expression(text).evaluate(ctx) is expected
    assert generic(text).evaluate(ctx) is expected


def test_negative_literals_are_folded():
    assert compile_expression("-5", "variable").evaluate(DictContext()) == -5
    assert math.copysign(1.0, compile_expression("-0.0", "variable").evaluate(DictContext())) == -1


def test_only_operators_that_always_give_booleans_count_as_boolean():
    def is_bool(text: str) -> bool:
        return fastpaths.is_boolean(parse(text))

    assert all(map(is_bool, ["a > 1", "a == b", "a || b", "!a", "a LIKE 'x'", "a BETWEEN 1 AND 2"]))
    assert not any(map(is_bool, ["a", "a + 1", "a ? b : c", "avg()", "-a", "1", "'true'"]))
    assert is_bool("true")


def test_the_walkthrough_condition_compiles_to_the_fast_closures():
    fn = compile_expression("avg() > 10 || max() > 85")._fn
    assert fn.__qualname__.startswith("logical.")
    assert generic("avg() > 10 || max() > 85")._fn.__qualname__.startswith("_Compiler.")
