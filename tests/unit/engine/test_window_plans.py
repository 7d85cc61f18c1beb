"""Conditions run on the window (rules.engine.aggregates.plan_evaluator) give exactly what
the compiled closure gives.

Random conditions made of aggregate comparisons run on random windows of both kinds
(NaN values, late samples that switch min/max to sorted storage, percentiles, empty
windows, evictions) through the plan evaluator, the production closure and the generic
closure (every fast path off); the three results must be the same bool.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.engine.actions import ActionSettings
from rules.engine.aggregates import plan_evaluator
from rules.engine.definition import RuleDefinition
from rules.engine.engine import Engine
from rules.engine.grouping import NO_TAGS, Grouping
from rules.engine.windows import CountWindow, TimeWindow
from rules.expressions.compiler import (
    CompiledExpression,
    _Compiler,
    compile_expression,
    window_plan,
)
from rules.expressions.parser import parse
from tests.unit.engine.streams import drive, outcome
from tests.unit.expressions.doubles import DictContext

AGGREGATES = [
    "avg()", "mean()", "sum()", "min()", "max()", "count()", "countNaN()", "first()",
    "last()", "median()", "percentile(95)", "percentile(0)", "percentile(100)",
]  # fmt: skip
LITERALS = ["10", "-5", "2.5", "0", "-0.0", "85", "1e308", "9007199254740993", "3"]
OPS = ["<", "<=", ">", ">=", "==", "!="]

comparison = st.builds(
    lambda agg, op, lit, left: f"{lit} {op} {agg}" if left else f"{agg} {op} {lit}",
    st.sampled_from(AGGREGATES),
    st.sampled_from(OPS),
    st.sampled_from(LITERALS),
    st.booleans(),
)
condition = st.recursive(
    comparison,
    lambda inner: st.one_of(
        st.builds(lambda a, b: f"({a}) || ({b})", inner, inner),
        st.builds(lambda a, b: f"({a}) && ({b})", inner, inner),
        st.builds(lambda a: f"!({a})", inner),
    ),
    max_leaves=4,
)
value = st.one_of(
    st.floats(-100, 100), st.sampled_from([0.0, 5.0, 10.0, 85.0, 90.0]), st.just(math.nan)
)
# (time offset, value, percentile asked before this step)
samples = st.lists(st.tuples(st.integers(-20_000, 30_000), value, st.booleans()), max_size=30)


def generic(text: str) -> CompiledExpression:
    return CompiledExpression(
        text, "condition", _Compiler(text, "condition", False).compile(parse(text))
    )


def fill(kind: str, steps: list[tuple[int, float, bool]]) -> list:
    """Windows after each step (one window, checked after every insert)."""
    w = CountWindow(4) if kind == "count" else TimeWindow(60_000)
    now = 1_700_000_000_000
    for offset, v, ask in steps:
        now += 10_000
        if ask:
            w.percentile(50.0)
        if kind == "count":
            w.insert_sample(now + offset, v)
        else:
            w.insert_sample(now + offset, v, now)
        yield w


@pytest.mark.parametrize("kind", ["count", "time"])
@settings(max_examples=300, deadline=None)
@given(text=condition, steps=samples)
def test_plans_give_what_the_compiled_condition_gives(kind, text, steps):
    fast, slow = compile_expression(text), generic(text)
    plan = fast.window_plan
    assert plan is not None, text
    check = plan_evaluator(plan)
    empty = CountWindow(4) if kind == "count" else TimeWindow(60_000)
    for w in [empty, *fill(kind, steps)]:
        ctx = DictContext(window=w)
        expected = slow.evaluate(ctx)
        assert type(expected) is bool
        assert fast.evaluate(ctx) is expected, text
        assert check(w) is expected, (text, w.values())


@pytest.mark.parametrize("track", [(True, True), (False, False)])
@pytest.mark.parametrize("text", ["max() > 85", "min() < 2", "avg() > 10 || max() > 85"])
def test_windows_without_min_max_queues(track, text):
    w = TimeWindow(60_000, track_min=track[0], track_max=track[1])
    check = plan_evaluator(compile_expression(text).window_plan)
    for i, v in enumerate([1.0, math.nan, 90.0, 3.0, 1.5]):
        w.insert_sample(i * 1000, v, i * 1000)
        assert check(w) is generic(text).evaluate(DictContext(window=w))


def test_walkthrough_plan():
    assert compile_expression("avg() > 10 || max() > 85").window_plan == (
        "or",
        ("cmp", "avg", ">", 10),
        ("cmp", "max", ">", 85),
    )
    assert compile_expression("80 < percentile(95)").window_plan == (
        "cmp", ("percentile", 95.0), ">", 80,
    )  # fmt: skip
    assert compile_expression("!(median() >= -1)").window_plan == (
        "not", ("cmp", ("percentile", 50.0), ">=", -1),
    )  # fmt: skip


@pytest.mark.parametrize(
    "text",
    [
        "value > 50",
        "avg() > 'abc'",
        "avg() > x",
        "avg() + 1 > 10",
        "percentile(101) > 1",
        "percentile(95, 'x') > 1",
        "avg() > 10 || value > 5",
        "avg()",
        "true",
        "avg() BETWEEN 1 AND 5",
        "max(1, 2) > 1",
        "count() > 1 ? true : false",
    ],
)
def test_other_conditions_have_no_plan(text):
    try:
        compiled = compile_expression(text)
    except Exception:
        return
    assert compiled.window_plan is None
    assert window_plan(parse(text)) is None


step = st.tuples(st.sampled_from(["e1", "e2"]), st.integers(-30_000, 20_000), value)


def _engine_run(rule: RuleDefinition, steps, use_plan: bool) -> dict:
    engine = Engine()
    engine.install(rule)
    rt = engine.rules[rule.name]
    assert rt.window_check is not None
    if not use_plan:
        rt.window_check = None
    return outcome(engine, rule.name, drive(engine, steps))


@pytest.mark.parametrize("window", ["time(1 minute)", "length(3)"])
@pytest.mark.parametrize(
    "grouping", [Grouping(NO_TAGS), Grouping(NO_TAGS, disable_entity_grouping=True)]
)
@pytest.mark.parametrize(
    "text", ["avg() > 10 || max() > 85", "percentile(95) > 80", "!(min() < 2 && count() > 2)"]
)
@settings(max_examples=25, deadline=None)
@given(steps=st.lists(step, max_size=40))
def test_the_engine_gives_the_same_triggers_with_and_without_plans(text, window, grouping, steps):
    rule = RuleDefinition(
        "r", "m", text, window, grouping=grouping,
        variables=(("v", "avg() * 2"),), actions=(ActionSettings("a"),),
    )  # fmt: skip
    assert _engine_run(rule, steps, True) == _engine_run(rule, steps, False)
