"""RuleRuntime._process_simple gives exactly what _process_general gives.

Random streams (NaN values, late and expired samples, several entities) go through two
engines, one with the fast path and one with every event through the general path; the
triggers, rule errors, filter logs and snapshots must be identical.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.contract.triggers import encode_trigger
from rules.engine.actions import ActionSettings
from rules.engine.definition import RuleDefinition
from rules.engine.engine import Engine
from rules.engine.grouping import NO_TAGS, Grouping
from rules.engine.rule_runtime import RuleRuntime
from rules.events import Event
from tests.unit.engine.streams import START_MS, drive, outcome

CONDITIONS = [
    "avg() > 10 || max() > 85",
    "percentile(95) > 80",
    "median() < 50 || max() > 90",  # ordered storage answers max() too
    "min() < 2 && count() > 2",
    "value > 50",
    "avg()",  # not a boolean: a rule error
    "last() > 'abc'",  # a comparison error
    "first() != last()",
]
WINDOWS = ["time(1 minute)", "length(3)", "time(15 second)"]

# Repeated values too: equal values in the min/max queues are the delicate case.
value = st.one_of(st.floats(-10, 100), st.sampled_from([0.0, 5.0, 90.0]), st.just(math.nan))
step = st.tuples(st.sampled_from(["e1", "e2", "e3"]), st.integers(-30_000, 20_000), value)


def _engine(monkeypatch: pytest.MonkeyPatch, general: bool, rule: RuleDefinition) -> Engine:
    with monkeypatch.context() as m:
        if general:
            m.setattr(RuleRuntime, "_process_simple", RuleRuntime._process_general)
            m.setattr(RuleRuntime, "_run_simple", RuleRuntime._run_general)
        engine = Engine()
        engine.install(rule)
        assert engine.rules[rule.name].simple
    return engine


def _rule(condition: str, window: str) -> RuleDefinition:
    return RuleDefinition(
        "r", "m", condition, window, grouping=Grouping(NO_TAGS), actions=(ActionSettings("a"),)
    )


def _run(monkeypatch: pytest.MonkeyPatch, general: bool, rule: RuleDefinition, steps) -> dict:
    """Event by event, each with its own clock reading."""
    engine = _engine(monkeypatch, general, rule)
    return outcome(engine, rule.name, drive(engine, steps))


def _run_batches(
    monkeypatch: pytest.MonkeyPatch, general: bool, rule: RuleDefinition, batches
) -> dict:
    """Batch by batch (one clock reading each), as a partition worker applies them:
    runs of one metric go to the rule in one call."""
    engine = _engine(monkeypatch, general, rule)
    triggers = []
    now = START_MS
    for batch in batches:
        now += 20_000
        events = [
            Event("series", entity, metric, {}, now + offset, now, v, line_values={metric: v})
            for metric, entity, offset, v in batch
        ]
        triggers += [encode_trigger(tr) for tr in engine.process_batch(events, now)]
    return outcome(engine, rule.name, triggers)


@pytest.mark.parametrize("window", WINDOWS)
@pytest.mark.parametrize("condition", CONDITIONS)
@settings(max_examples=25, deadline=None)
@given(steps=st.lists(step, max_size=40))
def test_the_simple_path_matches_the_general_path(condition, window, steps):
    rule = _rule(condition, window)
    with pytest.MonkeyPatch.context() as mp:
        fast = _run(mp, False, rule, steps)
        general = _run(mp, True, rule, steps)
    assert fast == general


# Another metric in the stream splits a batch into runs; its events match no rule.
batch_step = st.tuples(
    st.sampled_from(["m", "m", "m", "other"]),
    st.sampled_from(["e1", "e2", "e3"]),
    st.integers(-30_000, 20_000),
    value,
)


@pytest.mark.parametrize("window", WINDOWS)
@pytest.mark.parametrize("condition", CONDITIONS)
@settings(max_examples=25, deadline=None)
@given(batches=st.lists(st.lists(batch_step, max_size=12), max_size=8))
def test_runs_of_a_batch_match_the_general_path(condition, window, batches):
    rule = _rule(condition, window)
    with pytest.MonkeyPatch.context() as mp:
        fast = _run_batches(mp, False, rule, batches)
        general = _run_batches(mp, True, rule, batches)
    assert fast == general
