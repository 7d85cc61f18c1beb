"""The sandbox replay: a rule over the series history, as the live engine would run it."""

from __future__ import annotations

import pytest

from rules.backtest.limits import BacktestLimits
from rules.backtest.runner import replay, run_backtest
from rules.backtest.source import BacktestError, events_of, read_series
from rules.engine.actions import ActionSettings
from rules.engine.definition import RuleDefinition
from rules.models import Rule
from rules.partition.definitions import definition_of
from tests.unit.backtest.history import (
    MIN,
    database_state,
    feed,
    now_ms,
    redis_state,
    sample,
)

pytestmark = pytest.mark.django_db
LIMITS = BacktestLimits()


def sequence(result) -> list[tuple[str, str | None, int, float]]:
    return [(t.status, t.entity, t.now_ms, t.value) for t in result.triggers]


def test_open_repeat_cancel_at_the_samples_times_and_values():
    t0 = now_ms() - 30 * MIN
    feed(sample(v, t0 + i * MIN) for i, v in enumerate([10.0, 90.0, 95.0, 20.0, 30.0]))
    rule = RuleDefinition("hot", "cpu", "value > 80", "count(1)")
    result = run_backtest(rule, 1, LIMITS)
    assert sequence(result) == [
        ("OPEN", "e1", t0 + MIN, 90.0),
        ("REPEAT", "e1", t0 + 2 * MIN, 95.0),
        ("CANCEL", "e1", t0 + 3 * MIN, 20.0),
    ]
    assert result.samples == 5
    assert not result.stopped
    [window] = result.windows
    assert (window.key, window.status, window.counts) == (
        "series-cpu-e1",
        "CANCEL",
        {"OPEN": 1, "REPEAT": 1, "CANCEL": 1},
    )


def test_only_the_asked_hours_and_the_rules_entities_are_replayed():
    now = now_ms()
    feed([sample(99.0, now - 90 * MIN), sample(99.0, now - 10 * MIN)])
    feed([sample(99.0, now - 10 * MIN, entity="other")])
    rule = RuleDefinition("hot", "cpu", "value > 80", "count(1)", entity_filter="e*")
    result = run_backtest(rule, 1, LIMITS)
    assert sequence(result) == [("OPEN", "e1", now - 10 * MIN, 99.0)]
    assert [(s.entity, len(s.points)) for s in result.series] == [("e1", 1)]


def test_a_window_per_tag_set_as_the_engine_groups_them():
    t0 = now_ms() - 10 * MIN
    feed([sample(99.0, t0, disk="a"), sample(99.0, t0, disk="b"), sample(1.0, t0 + MIN, disk="a")])
    result = run_backtest(RuleDefinition("disk", "cpu", "value > 80", "count(1)"), 1, LIMITS)
    assert [(t.status, t.tags) for t in result.triggers] == [
        ("OPEN", {"disk": "a"}),
        ("OPEN", {"disk": "b"}),
        ("CANCEL", {"disk": "a"}),
    ]
    assert sorted((w.key, w.status) for w in result.windows) == [
        ("series-cpu-e1-disk=a", "CANCEL"),
        ("series-cpu-e1-disk=b", "OPEN"),
    ]


def test_check_on_exit_cancels_between_samples_when_the_sample_leaves_the_window():
    t0 = now_ms() - 50 * MIN
    feed([sample(90.0, t0), sample(10.0, t0 + 30 * MIN)])
    rule = RuleDefinition(
        "exit", "cpu", "count() > 0 && max() > 80", "time(5 minute)", check_on_exit=True
    )
    result = run_backtest(rule, 1, LIMITS)
    statuses = [(t.status, t.reason, t.now_ms) for t in result.triggers]
    assert statuses[0] == ("OPEN", "evaluation", t0)
    # The 90 leaves the 5-minute window 5 minutes later, long before the next sample.
    assert statuses[1][:2] == ("CANCEL", "exit")
    assert t0 + 5 * MIN <= statuses[1][2] < t0 + 6 * MIN


def test_a_delayed_open_fires_when_its_countdown_ends_between_samples():
    t0 = now_ms() - 40 * MIN
    feed([sample(90.0, t0), sample(91.0, t0 + 20 * MIN)])
    action = ActionSettings("web:chat", delay_ms=5 * MIN)
    rule = RuleDefinition("slow", "cpu", "value > 80", "count(1)", actions=(action,))
    result = run_backtest(rule, 1, LIMITS)
    delayed = [t for t in result.triggers if t.delay_expired]
    assert [(t.status, t.now_ms, t.fired()) for t in delayed] == [
        ("OPEN", t0 + 5 * MIN, ["web:chat"])
    ]


def test_the_replay_touches_no_redis_key_and_no_database_row():
    t0 = now_ms() - 20 * MIN
    feed(sample(v, t0 + i * MIN) for i, v in enumerate([90.0, 95.0, 10.0]))
    rule = Rule(
        name="side-effects", metric="cpu", window="count(1)", derived_command_enabled=True,
        expression="lock('backtest', '1 hour') && value > 80", load_history=True,
        derived_command="series e:derived m:flag=1", alert_logger_name="backtest-log",
        log_to_alert_history=True, alert_open_message="opened ${value}",
    )  # fmt: skip
    redis_before, rows_before = redis_state(), database_state()
    result = run_backtest(definition_of(rule), 1, LIMITS)
    # The lock is the sandbox's: taken by the first sample, still held at the second.
    assert [t.status for t in result.triggers] == ["OPEN", "CANCEL"]
    assert result.triggers[0].derived_commands  # rendered, and never ingested
    assert redis_state() == redis_before
    assert database_state() == rows_before


def test_hours_outside_the_limit_are_refused_naming_hours():
    rule = RuleDefinition("r", "cpu", "value > 1", "count(1)")
    for hours in (0, 25):
        with pytest.raises(BacktestError) as caught:
            run_backtest(rule, hours, BacktestLimits(max_hours=24))
        assert caught.value.field == "hours"


def test_more_samples_than_the_limit_asks_for_fewer_hours():
    t0 = now_ms() - 30 * MIN
    feed(sample(1.0, t0 + i * 1000) for i in range(20))
    with pytest.raises(BacktestError, match="more than 10 samples") as caught:
        read_series("cpu", "", t0, now_ms(), max_series=10, max_samples=10)
    assert caught.value.field == "hours"


def test_more_series_than_the_limit_is_refused():
    t0 = now_ms() - 30 * MIN
    feed(sample(1.0, t0, entity=f"e{i}") for i in range(3))
    with pytest.raises(BacktestError, match="more than 2 series"):
        read_series("cpu", "", t0, now_ms(), max_series=2, max_samples=100)


def test_the_time_limit_stops_the_replay_and_says_where():
    t0 = now_ms() - 30 * MIN
    events = [sample(1.0, t0 + i * 1000) for i in range(600)]
    rule = RuleDefinition("r", "cpu", "value > 1", "count(1)")
    result = replay(rule, events, now_ms(), BacktestLimits(time_limit_s=0))
    assert result.samples == 256
    assert "time limit" in result.stopped


def test_triggers_past_the_limit_are_counted_not_kept():
    t0 = now_ms() - 30 * MIN
    events = [sample(90.0, t0 + i * 1000) for i in range(10)]
    rule = RuleDefinition("r", "cpu", "value > 1", "count(1)")
    result = replay(rule, events, now_ms(), BacktestLimits(max_triggers=3))
    assert (len(result.triggers), result.triggers_total) == (3, 10)


def test_message_rules_are_refused_naming_metric():
    with pytest.raises(BacktestError) as caught:
        run_backtest(RuleDefinition("m", "message", "true", "count(1)"), 1, LIMITS)
    assert caught.value.field == "metric"


def test_events_keep_series_order_within_one_time():
    t0 = now_ms() - MIN
    feed([sample(1.0, t0, entity="b"), sample(2.0, t0, entity="a"), sample(3.0, t0 - 1000)])
    events = events_of(read_series("cpu", "", t0 - MIN, now_ms(), max_series=5, max_samples=9))
    assert [(e.entity, e.time_ms) for e in events] == [("e1", t0 - 1000), ("a", t0), ("b", t0)]


def test_a_rule_the_engine_refuses_is_refused_naming_rule():
    with pytest.raises(BacktestError, match="the rule cannot run") as caught:
        replay(RuleDefinition("r", "cpu", "value > 1", "count(0)"), [], now_ms(), LIMITS)
    assert caught.value.field == "rule"
