"""The Logging-tab text of a trigger: rendered by the engine in the window's scope when
alert history fires, a failure a rule error with no text (the default text is stored)."""

from __future__ import annotations

from rules.contract.triggers import ALERT_HISTORY_ACTION
from rules.engine.actions import ActionSettings, RepeatStrategy
from rules.engine.definition import RuleDefinition
from rules.engine.engine import Engine
from rules.events import Event
from rules.models.rule import DEFAULT_ALERT_MESSAGE

T0 = 1_700_000_000_000  # 2023-11-14T22:13:20Z


def rule(texts, action=True):
    actions = (ActionSettings(ALERT_HISTORY_ACTION, strategy=RepeatStrategy()),) if action else ()
    return RuleDefinition(
        "disk", "used", "value > 80", "length(1)", variables=(("free", "100 - value"),),
        actions=actions, alert_texts=texts,
    )  # fmt: skip


def used(value, t):
    return Event("series", "db1", "used", {"mount": "/"}, T0 + t, T0 + t, value)


def run(engine, *values):
    return [s for n, v in enumerate(values) for s in engine.process(used(v, n * 1000), T0)]


def test_the_default_template_renders_tab_separated_fields():
    engine = Engine(zone="UTC")
    engine.install(rule((DEFAULT_ALERT_MESSAGE,) * 3), T0)
    [opened] = run(engine, 90)
    assert opened.alert_text == "\t".join(
        ["2023-11-14T22:13:20Z", "OPEN", "warning", "disk", "used", "db1", "{mount=/}", "90"]
    )


def test_each_status_renders_its_own_template_with_variables():
    engine = Engine(zone="UTC")
    engine.install(rule(("open ${free}", "repeat ${repeat_count}", "cancel ${entity}")), T0)
    texts = [(s.status, s.alert_text) for s in run(engine, 90, 95, 10)]
    assert texts == [("OPEN", "open 10"), ("REPEAT", "repeat 1"), ("CANCEL", "cancel db1")]
    assert not engine.errors


def test_no_text_when_alert_history_does_not_fire():
    engine = Engine(zone="UTC")
    engine.install(rule(("open ${free}", "", ""), action=False), T0)
    [opened] = run(engine, 90)
    assert opened.alert_text == ""


def test_a_failing_template_is_a_rule_error_and_leaves_no_text():
    engine = Engine(zone="UTC")
    engine.install(rule(("open ${1 / nosuch_fn()}", "", "")), T0)
    [opened] = run(engine, 90)
    assert opened.alert_text == ""
    [error] = engine.errors
    assert error.error.startswith("logging text not rendered: ")
    assert "nosuch_fn" in error.error
    assert error.expression == "open ${1 / nosuch_fn()}"


def test_legacy_time_placeholders_show_server_and_utc_forms():
    engine = Engine(zone="UTC")
    engine.install(rule(("${received_time} | ${event_datetime} | ${timestamp}", "", "")), T0)
    [opened] = run(engine, 90)
    assert opened.alert_text == f"2023-11-14 22:13:20 UTC | 2023-11-14T22:13:20Z | {T0}"
