"""Property: over fed history, the backtest gives exactly the triggers the live engine
(the partitions' engine, fed the same samples as they arrive) gives."""

from __future__ import annotations

from collections import defaultdict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules.backtest.limits import BacktestLimits
from rules.backtest.runner import run_backtest
from rules.engine.definition import RuleDefinition
from rules.history import recorder
from rules.partition.worker import PartitionHost
from tests.unit.backtest.history import MIN, feed, now_ms, sample

pytestmark = pytest.mark.django_db

WINDOWS = ("count(1)", "count(3)", "time(2 minute)")
CONDITIONS = ("value > 50", "avg() > 50", "max() > 70 && min() > 20", "count() >= 2 && last() > 40")

samples = st.lists(
    st.tuples(
        st.integers(0, 2),  # entity
        st.integers(0, 90),  # seconds after the previous sample
        st.integers(0, 100),  # value
    ),
    min_size=1,
    max_size=40,
)


def by_window(triggers) -> dict[str, list[tuple[str, int, float, int]]]:
    """Each window's triggers in order: the windows of a rule are independent, and the
    partitions interleave them in whatever order samples of different series arrive."""
    out: dict[str, list[tuple[str, int, float, int]]] = defaultdict(list)
    for t in triggers:
        out[t.window_key].append((t.status, t.now_ms, t.value, t.repeat_count))
    return dict(out)


def live_triggers(rule: RuleDefinition, events) -> list:
    engine = PartitionHost().new_engine()
    engine.install(rule)
    out = []
    for event in events:  # each sample applied as it arrives, stamped with its time
        out.extend(engine.process_batch([event], event.time_ms))
    return out


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(window=st.sampled_from(WINDOWS), condition=st.sampled_from(CONDITIONS), points=samples)
def test_backtest_statuses_are_the_live_engines(clean_redis, window, condition, points):
    for key in clean_redis.scan_iter(match="hist:*"):
        clean_redis.delete(key)
    recorder.forget_known()
    t = now_ms() - 50 * MIN
    events = []
    for entity, gap, value in points:
        t += gap * 1000
        events.append(sample(float(value), t, entity=f"e{entity}"))
    feed(events)
    rule = RuleDefinition("property", "cpu", condition, window)
    backtest = run_backtest(rule, 1, BacktestLimits())
    assert backtest.samples == len(events)
    assert by_window(backtest.triggers) == by_window(live_triggers(rule, events))


def test_a_known_sequence_gives_its_statuses():
    t0 = now_ms() - 30 * MIN
    values = [10, 60, 70, 90, 20, 10, 10, 95, 96, 97, 10, 10, 10]
    events = feed(sample(float(v), t0 + i * MIN) for i, v in enumerate(values))
    rule = RuleDefinition("known", "cpu", "avg() > 50", "count(3)")
    # Averages of the last three: 46.7, 73.3, 60, 40, 13.3, 38.3, 67, 96, 67.7, 39, 10.
    expected = [("OPEN", 90.0), ("REPEAT", 20.0), ("CANCEL", 10.0),
                ("OPEN", 96.0), ("REPEAT", 97.0), ("REPEAT", 10.0), ("CANCEL", 10.0)]  # fmt: skip
    backtest = run_backtest(rule, 1, BacktestLimits())
    assert [(x.status, x.value) for x in backtest.triggers] == expected
    assert [(x.status, x.value) for x in live_triggers(rule, events)] == expected
