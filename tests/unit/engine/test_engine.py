"""The engine driven by an explicit clock: §3.12 worked examples, §9 rows 22 and 24-27,
errors, rule life cycle and checkpoints. Conditions are tiny hand-made expressions so
these tests exercise the engine alone (real expression texts: test_engine_expressions.py)."""

from __future__ import annotations

import json
import math
from datetime import datetime

import pytest

from rules.contract.triggers import decode_trigger, encode_trigger
from rules.engine.actions import ActionSettings, RepeatStrategy
from rules.engine.definition import RuleDefinition
from rules.engine.engine import Engine
from rules.engine.grouping import NO_TAGS, Grouping
from rules.engine.windows import WindowLimits, WindowSpecError
from rules.events import Event

# Every test runs through RuleRuntime._process_simple and _process_general.
pytestmark = pytest.mark.usefixtures("both_paths")


def at(hms: str) -> int:
    """Unix ms of 2024-01-01T<hms>Z (``12:00:30`` or ``12:00:30.250``)."""
    return int(datetime.fromisoformat(f"2024-01-01T{hms}+00:00").timestamp() * 1000)


class Fn:
    def __init__(self, text, fn):
        self.text = text
        self.fn = fn

    def evaluate(self, ctx):
        return self.fn(ctx)


EXPRESSIONS = {
    "avg() > 50": lambda c: c.window.avg() > 50,
    "avg() > 80": lambda c: c.window.avg() > 80,
    "value > 80": lambda c: c.lookup("value") > 80,
    "true": lambda c: True,
    "value > 1.5 && value('temperature') > 50": (
        lambda c: c.lookup("value") > 1.5 and c.line_value("temperature") > 50
    ),
    "tags.mount_point = '/'": lambda c: c.lookup("tags").get("mount_point") == "/",
    "avg()": lambda c: c.window.avg(),
    "1/0 > 1": lambda c: 1 / 0 > 1,
    "avg() * 2": lambda c: c.window.avg() * 2,
    "before_status": lambda c: c.lookup("before_status"),
    "rule_open('other', '', '')": lambda c: c.rule_open("other", "", ""),
}


def compiler(text, kind):
    return Fn(text, EXPRESSIONS[text])


def series(entity, metric, value, t, now=None, tags=None, line=None):
    return Event(
        "series", entity, metric, tags or {}, t, now if now is not None else t, value,
        line_values=line or {metric: value},
    )  # fmt: skip


def rule(**kw):
    base = {
        "name": "temperature-too-high",
        "metric": "temperature",
        "expression": "avg() > 50",
        "window": "length(3)",
        "actions": (ActionSettings("hc"),),
    }
    base.update(kw)
    return RuleDefinition(**base)


def engine_with(*rules, **kw):
    engine = Engine(compiler, **kw)
    for r in rules:
        engine.install(r)
    return engine


def feed(engine, entity, metric, values_at):
    """Feed (hms, value) at their own time as the clock; return the triggers per event."""
    out = []
    for hms, value in values_at:
        t = at(hms)
        out.append(engine.process(series(entity, metric, value, t), t))
    return out


def test_r1_table_of_the_spec():
    engine = engine_with(rule())
    steps = feed(
        engine, "br-1905", "temperature",
        [("12:00:00", 55), ("12:01:45", 60), ("12:03:00", 20), ("12:04:00", 20),
         ("12:05:00", 200)],
    )  # fmt: skip
    summary = [
        [(t.status, t.repeat_count, t.statistics["avg"], t.fired()) for t in triggers]
        for triggers in steps
    ]
    assert summary == [
        [("OPEN", 0, 55, ["hc"])],
        [("REPEAT", 1, 57.5, ["hc"])],
        [("CANCEL", 1, 45, ["hc"])],
        [],
        [("OPEN", 0, 80, ["hc"])],
    ]
    opened, repeat, cancel = steps[0][0], steps[1][0], steps[2][0]
    assert opened.open_value == 55
    assert opened.open_time == at("12:00:00")
    assert opened.window_key == "series-temperature-br-1905"
    assert repeat.before_status == "OPEN"
    assert repeat.repeat_time == at("12:01:45")
    assert cancel.cancel_time == at("12:03:00")
    assert cancel.before_status == "REPEAT"
    assert cancel.values == [55, 60, 20]
    assert steps[4][0].values == [20, 20, 200]
    assert steps[4][0].episode != opened.episode


def test_count_2_sends_at_open_and_every_second_repeat():
    engine = engine_with(rule(actions=(ActionSettings("hc", strategy=RepeatStrategy("COUNT", 2)),)))
    steps = feed(engine, "br-1905", "temperature", [(f"12:00:0{i}", 60) for i in range(5)])
    assert [(s[0].repeat_count, bool(s[0].fired())) for s in steps] == [
        (0, True), (1, False), (2, True), (3, False), (4, True),
    ]  # fmt: skip


def test_interval_5_minute_sends_at_1200_1205_1210():
    strategy = RepeatStrategy.parse("INTERVAL", 5, "minute")
    engine = engine_with(rule(actions=(ActionSettings("hc", strategy=strategy),)))
    steps = feed(engine, "br-1905", "temperature", [(f"12:{m:02d}:00", 60) for m in range(11)])
    assert [s[0].now_ms for s in steps if s[0].fired()] == [
        at("12:00:00"), at("12:05:00"), at("12:10:00"),
    ]  # fmt: skip


def test_delay_open_then_cancel_sends_nothing():
    engine = engine_with(rule(window="length(1)", actions=(ActionSettings("hc", delay_ms=60_000),)))
    [opened], [cancel] = feed(engine, "br-1905", "temperature", [("12:00:00", 60), ("12:00:30", 1)])
    [scheduled] = opened.actions
    assert (scheduled.decision, scheduled.countdown_ms) == ("schedule", 60_000)
    assert cancel.fired() == []
    assert (
        engine.delayed_open(opened.rule, opened.key, "hc", opened.episode, at("12:01:00")) is None
    )


def test_delay_with_repeats_sends_one_open_at_1201():
    engine = engine_with(rule(actions=(ActionSettings("hc", delay_ms=60_000),)))
    steps = feed(
        engine, "br-1905", "temperature",
        [("12:00:00", 55), ("12:00:20", 55), ("12:00:40", 55)],
    )  # fmt: skip
    assert [s[0].fired() for s in steps] == [[], [], []]
    opened = steps[0][0]
    late = engine.delayed_open(opened.rule, opened.key, "hc", opened.episode, at("12:01:00"))
    assert late.status == "OPEN"
    assert late.delay_expired
    assert late.fired() == ["hc"]
    assert late.repeat_count == 2
    # The countdown fires once: a duplicate delivery of the task sends nothing.
    assert (
        engine.delayed_open(opened.rule, opened.key, "hc", opened.episode, at("12:01:01")) is None
    )


def _r2(check_on_exit):
    return rule(
        name="r2", expression="avg() > 80", window="time(1 minute)", check_on_exit=check_on_exit
    )


def test_r2_check_on_exit_cancels_when_the_sample_expires():
    engine = engine_with(_r2(True))
    [opened] = engine.process(series("e1", "temperature", 90, at("12:00:00")), at("12:00:00"))
    assert opened.status == "OPEN"
    assert engine.tick(at("12:01:00")) == []  # time >= now - D is still inside
    assert engine.next_tick_ms() == at("12:01:00") + 1
    [cancel] = engine.tick(at("12:01:00.001"))
    assert cancel.status == "CANCEL"
    assert cancel.is_exiting
    assert cancel.reason == "exit"
    assert cancel.command_time == at("12:00:00")
    assert cancel.statistics["count"] == 0
    assert math.isnan(cancel.statistics["avg"])
    assert engine.tick(at("12:02:00")) == []


def test_check_on_exit_command_time_is_rounded_down_to_seconds():
    engine = engine_with(_r2(True))
    engine.process(series("e1", "temperature", 90, at("12:00:00.750")), at("12:00:00.750"))
    [cancel] = engine.tick(at("12:02:00"))
    assert cancel.command_time == at("12:00:00")


def test_r2_without_check_on_exit_stays_open_until_the_next_event():
    engine = engine_with(_r2(False))
    engine.process(series("e1", "temperature", 90, at("12:00:00")), at("12:00:00"))
    assert engine.tick(at("12:05:00")) == []
    [cancel] = engine.process(series("e1", "temperature", 10, at("12:05:00")), at("12:05:00"))
    assert cancel.status == "CANCEL"
    assert not cancel.is_exiting
    assert cancel.values == [10]


def test_time_window_ignores_an_event_older_than_the_window():
    engine = engine_with(_r2(False))
    assert engine.process(series("e1", "temperature", 90, at("11:00:00")), at("12:00:00")) == []
    assert engine.rules["r2"].windows == {}
    assert engine.filter_log("r2")[-1]["step"] == "expired"


@pytest.mark.parametrize("discard", [True, False])
def test_out_of_order_samples(discard):
    engine = engine_with(rule(expression="true", discard_previous_values=discard))
    now = at("10:00:30")
    for hms, v in (("10:00:05", 1.0), ("10:00:10", 2.0), ("10:00:07", 3.0)):
        triggers = engine.process(series("e1", "temperature", v, at(hms)), now)
    window = next(iter(engine.rules["temperature-too-high"].windows.values())).window
    if discard:
        assert triggers == []
        assert window.values() == [1.0, 2.0]
        assert engine.filter_log("temperature-too-high")[-1]["step"] == "out_of_order"
    else:
        [repeat] = triggers
        assert window.values() == [1.0, 3.0, 2.0]
        assert repeat.value == 3.0
        assert window.last() == 2.0


def test_time_offset_grace():
    engine = engine_with(rule(expression="true", time_filter_ms=5 * 60_000))
    now = at("12:00:00")
    assert engine.process(series("e1", "temperature", 1, now - 2 * 3_600_000), now) == []
    assert engine.process(series("e1", "temperature", 1, now + 60_000), now)[0].status == "OPEN"


def test_row_22_value_of_another_metric_of_the_same_line():
    engine = engine_with(
        rule(name="p", metric="pressure", expression="value > 1.5 && value('temperature') > 50")
    )
    t1, t2 = at("12:00:00"), at("12:01:00")
    line1 = {"pressure": 3.5, "temperature": 80.0}
    line2 = {"pressure": 3.5, "temperature": 33.0}
    out = []
    for t, line in ((t1, line1), (t2, line2)):
        for metric, v in line.items():
            out += engine.process(series("sensor01", metric, v, t, line=line), t)
    assert [(t.status, t.metric) for t in out] == [("OPEN", "pressure"), ("CANCEL", "pressure")]


def test_row_24_filtered_event_creates_no_window():
    engine = engine_with(rule(name="disk", metric="disk", filter="tags.mount_point = '/'"))
    now = at("12:00:00")
    assert engine.process(series("e1", "disk", 90, now, tags={"mount_point": "/dev"}), now) == []
    assert engine.rules["disk"].windows == {}
    assert engine.filter_log("disk") == [
        {"time": now, "entity": "e1", "metric": "disk", "step": "filter"}
    ]


def test_a_non_boolean_condition_is_a_rule_error_and_keeps_the_status():
    engine = engine_with(rule(expression="avg()"))
    now = at("12:00:00")
    assert engine.process(series("e1", "temperature", 90, now), now) == []
    [error] = engine.drain_errors()
    assert error.rule == "temperature-too-high"
    assert "not a boolean" in error.error
    assert error.window_key == "series-temperature-e1"
    assert error.command[1] == "e1"
    wr = next(iter(engine.rules["temperature-too-high"].windows.values()))
    assert wr.state.status == "CANCEL"
    assert engine.drain_errors() == []


def test_an_exception_in_the_condition_is_a_rule_error():
    engine = engine_with(rule(expression="1/0 > 1"))
    assert engine.process(series("e1", "temperature", 90, 0), 0) == []
    assert "ZeroDivisionError" in engine.drain_errors()[0].error


def test_variables_are_in_the_trigger_and_see_the_status_before_evaluation():
    engine = engine_with(rule(variables=(("double", "avg() * 2"), ("before", "before_status"))))
    [opened] = engine.process(series("e1", "temperature", 60, 0), 0)
    assert opened.variables == {"double": 120, "before": "CANCEL"}
    [repeat] = engine.process(series("e1", "temperature", 60, 1), 1)
    assert repeat.variables["before"] == "OPEN"


def test_message_rules_with_unknown_severity_take_the_message_severity():
    engine = engine_with(
        rule(name="m", metric="message", type="webhook", window="length(1)", expression="true",
             severity="UNKNOWN", grouping=Grouping(NO_TAGS))
    )  # fmt: skip
    ev = Event("message", "gh", "message", {"type": "webhook", "source": "github"}, 0, 0, 0.0,
               text="push", type="webhook", source="github", severity=6)  # fmt: skip
    [opened] = engine.process(ev, 0)
    assert opened.severity == "CRITICAL"
    assert opened.text == "push"
    assert opened.window_key == "message-message-gh"


def test_drop_rule_closes_alerts_without_cancel_actions():
    engine = engine_with(rule())
    engine.process(series("e1", "temperature", 90, 0), 0)
    [closed] = engine.drop_rule("temperature-too-high", now_ms=5)
    assert (closed.status, closed.reason, closed.fired()) == ("CANCEL", "rule_dropped", [])
    assert closed.cancel_time == 5
    assert engine.process(series("e1", "temperature", 90, 6), 6) == []


def test_drop_rule_fires_cancel_when_configured():
    engine = engine_with(rule(), cancel_on_rule_change=True)
    engine.process(series("e1", "temperature", 90, 0), 0)
    assert engine.drop_rule("temperature-too-high", 5)[0].fired() == ["hc"]


def test_changing_the_condition_drops_windows_and_changing_actions_keeps_them():
    engine = engine_with(rule())
    engine.process(series("e1", "temperature", 55, 0), 0)
    kept = engine.install(rule(actions=(ActionSettings("hc", on_repeat=False),)), 1)
    assert kept == []
    [repeat] = engine.process(series("e1", "temperature", 55, 2), 2)
    assert repeat.status == "REPEAT"
    assert repeat.fired() == []
    [closed] = engine.install(rule(expression="value > 80"), 3)
    assert closed.reason == "rule_dropped"
    assert closed.fired() == []
    [opened] = engine.process(series("e1", "temperature", 85, 4), 4)  # row 15: a new OPEN
    assert opened.status == "OPEN"
    assert opened.values == [85]


def test_disabled_rule_gets_no_events():
    engine = engine_with(rule(enabled=False))
    assert engine.process(series("e1", "temperature", 90, 0), 0) == []
    assert engine.rules == {}


def test_rule_open_sees_other_rules_windows():
    engine = engine_with(
        rule(name="other", expression="value > 80"),
        rule(name="watcher", expression="rule_open('other', '', '')"),
    )
    assert engine.process(series("e1", "temperature", 10, 0), 0) == []
    triggers = engine.process(series("e1", "temperature", 90, 1), 1)
    assert [(t.rule, t.status) for t in triggers] == [("other", "OPEN"), ("watcher", "OPEN")]
    triggers = engine.process(series("e1", "temperature", 10, 2), 2)
    assert [(t.rule, t.status) for t in triggers] == [("other", "CANCEL"), ("watcher", "CANCEL")]


def test_trigger_events_are_strict_json_and_round_trip():
    engine = engine_with(rule())
    engine.process(series("e1", "temperature", math.nan, 0, tags={"a": "b"}), 0)
    [opened] = engine.process(series("e1", "temperature", 90, 1, tags={"a": "b"}), 1)
    data = json.loads(json.dumps(encode_trigger(opened), allow_nan=False))
    assert data["values"] == [None, 90]
    assert data["tags"] == {"a": "b"}
    again = decode_trigger(data)
    assert again.status == "OPEN"
    assert math.isnan(again.values[0])
    assert again.details_statistics()["count"] == 1


def test_snapshot_restore_round_trip_continues_identically():
    rules = [rule(), _r2(True)]
    live = engine_with(*rules)
    events = [
        (series("e1", "temperature", 55, at("12:00:00"), tags={"k": "v"}), at("12:00:00")),
        (series("e2", "temperature", math.nan, at("12:00:10")), at("12:00:10")),
        (series("e1", "temperature", 60, at("12:00:05")), at("12:00:20")),  # late sample
    ]
    for ev, now in events:
        live.process(ev, now)
    data = json.loads(json.dumps(live.snapshot(), allow_nan=False))
    restored = engine_with(*rules)
    restored.restore(data)
    assert restored.snapshot() == data
    later = [
        (series("e1", "temperature", 10, at("12:00:40")), at("12:00:40")),
        (series("e2", "temperature", 99, at("12:00:50")), at("12:00:50")),
    ]
    for ev, now in later:
        assert [encode_trigger(t) for t in live.process(ev, now)] == [
            encode_trigger(t) for t in restored.process(ev, now)
        ]
    assert [encode_trigger(t) for t in live.tick(at("12:02:00"))] == [
        encode_trigger(t) for t in restored.tick(at("12:02:00"))
    ]


def test_snapshots_are_strict_json_whatever_the_values():
    engine = engine_with(rule())
    for i, value in enumerate([1.5, 1e308, 1e308, math.inf, math.nan, 2.0]):
        entity = "plain" if i in (0, 5) else "odd"
        engine.process(series(entity, "temperature", value, i), i)
    data = json.loads(json.dumps(engine.snapshot(), allow_nan=False))
    windows = {w["key"][2]: w["values"] for w in data["rules"]["temperature-too-high"]["windows"]}
    assert windows["plain"] == [1.5, 2.0]
    assert windows["odd"][-3:] == [1e308, None, None]  # the sum overflowed: inf, NaN → None


def test_restore_skips_rules_whose_definition_changed():
    live = engine_with(rule())
    live.process(series("e1", "temperature", 90, 0), 0)
    data = live.snapshot()
    changed = engine_with(rule(expression="value > 80"))
    changed.restore(data)
    assert changed.rules["temperature-too-high"].windows == {}


@pytest.mark.parametrize(
    "grouping", [Grouping(NO_TAGS), Grouping()], ids=["by-entity", "by-entity-and-tags"]
)
def test_a_rule_at_its_windows_limit_drops_new_windows_with_one_rule_error(grouping):
    engine = engine_with(rule(grouping=grouping, expression="value > 80"), max_windows=2)
    for i in range(6):
        now = at("12:00:00") + i
        engine.process(series(f"e{i}", "temperature", 90, now, tags={"k": "v"}), now)
    runtime = engine.rules["temperature-too-high"]
    assert sorted(wr.display for wr in runtime.windows.values()) == [
        f"series-temperature-e{i}" + ("-k=v" if grouping.strategy != NO_TAGS else "")
        for i in (0, 1)
    ]
    [error] = engine.drain_errors()  # one Rule Error, not one per dropped sample
    assert "holds 2 windows, the limit (RULE_MAX_WINDOWS)" in error.error
    assert error.window_key.startswith("series-temperature-e2")
    steps = [entry["step"] for entry in engine.filter_log("temperature-too-high")]
    assert steps == ["accepted", "accepted", *["window_limit"] * 4]
    # A reload that keeps the windows (every rule is reinstalled when any rule changes)
    # does not report the limit again.
    engine.install(rule(grouping=grouping, expression="value > 80"))
    engine.process(series("e9", "temperature", 90, at("12:00:30"), tags={"k": "v"}), at("12:00:30"))
    assert engine.drain_errors() == []
    # The windows it holds go on as before.
    [cancel] = engine.process(series("e0", "temperature", 10, at("12:01:00"), tags={"k": "v"}),
                              at("12:01:00"))  # fmt: skip
    assert cancel.status == "CANCEL"


def test_a_lowered_windows_limit_holds_after_a_restore():
    live = engine_with(rule())
    for i in range(3):
        live.process(series(f"e{i}", "temperature", 90, i), i)
    restored = engine_with(rule(), max_windows=2)
    restored.restore(json.loads(json.dumps(live.snapshot())))
    assert len(restored.rules["temperature-too-high"].windows) == 2


def test_a_rule_whose_window_is_over_the_limits_is_not_installed():
    engine = Engine(compiler, window_limits=WindowLimits(max_count=100, max_ms=60_000))
    with pytest.raises(WindowSpecError, match="RULE_MAX_WINDOW_COUNT"):
        engine.install(rule(window="length(1000000000)"))
    with pytest.raises(WindowSpecError, match="RULE_MAX_WINDOW_SECONDS"):
        engine.install(rule(window="time(2 minute)"))
    assert engine.rules == {}
