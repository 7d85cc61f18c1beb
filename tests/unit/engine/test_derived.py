"""Derived commands in the engine: rendered at trigger time, guarded against loops."""

from __future__ import annotations

from rules.contract.triggers import DERIVED_ACTION
from rules.engine.actions import ActionSettings, RepeatStrategy
from rules.engine.definition import RuleDefinition
from rules.engine.derived import DERIVED_DEPTH_LIMIT
from rules.engine.engine import Engine
from rules.events import Event

TEMPLATE = "series e:${entity} m:free=${100 - value} t:rule=${rule}\nmessage e:${entity} m:${x}"


EVERY_REPEAT = RepeatStrategy()


def rule(template=TEMPLATE, strategy=EVERY_REPEAT):
    action = ActionSettings(DERIVED_ACTION, on_cancel=False, strategy=strategy)
    return RuleDefinition(
        "disk", "used", "value > 80", "length(1)", variables=(("x", "'high ' + value"),),
        actions=(action,), derived_command=template,
    )  # fmt: skip


def used(value, t, depth=0):
    return Event("series", "db1", "used", {}, t, t, value, derived_depth=depth)


def test_open_and_repeat_render_the_template_in_the_window_scope():
    engine = Engine()
    engine.install(rule())
    [opened] = engine.process(used(90, 1), 1)
    assert opened.derived_commands == [
        "series e:db1 m:free=10 t:rule=disk",
        "message e:db1 m:high 90",
    ]
    assert opened.derived_depth == 1
    [repeat] = engine.process(used(95, 2), 2)
    assert repeat.derived_commands[0] == "series e:db1 m:free=5 t:rule=disk"
    [cancel] = engine.process(used(10, 3), 3)
    assert cancel.derived_commands == []


def test_repeat_strategy_applies():
    engine = Engine()
    engine.install(rule(strategy=RepeatStrategy("NONE")))
    statuses = [
        (t.status, bool(t.derived_commands))
        for i in range(3)
        for t in engine.process(used(90, i), i)
    ]
    assert statuses == [("OPEN", True), ("REPEAT", False), ("REPEAT", False)]


def test_commands_of_derived_events_carry_one_more_hop():
    engine = Engine()
    engine.install(rule())
    [opened] = engine.process(used(90, 1, depth=2), 1)
    assert opened.derived_depth == 3


def test_a_loop_stops_at_the_depth_limit_with_a_rule_error():
    engine = Engine()
    engine.install(rule())
    [opened] = engine.process(used(90, 1, depth=DERIVED_DEPTH_LIMIT), 1)
    assert opened.status == "OPEN"
    assert opened.derived_commands == []
    assert "derived command not sent" in engine.errors[-1].error
    assert "loop" in engine.errors[-1].error


def test_a_failing_placeholder_stays_as_written_and_is_a_rule_error():
    engine = Engine()
    engine.install(rule("series e:${entity} m:x=${1 / nosuch_fn()}"))
    [opened] = engine.process(used(90, 1), 1)
    assert opened.derived_commands == ["series e:db1 m:x=${1 / nosuch_fn()}"]
    assert "nosuch_fn" in engine.errors[-1].error


def test_derived_depth_travels_on_the_wire():
    event = used(1, 1, depth=3)
    assert Event.from_wire(event.to_wire()).derived_depth == 3
    assert Event.from_wire(used(1, 1).to_wire()).derived_depth == 0


def test_trigger_fields_and_command_tags_render_as_in_notifications():
    engine = Engine()
    template = (
        "series e:${entity} m:metric_123=${100 - value} ${commandTags} t:s=${status}-${severity}"
    )
    engine.install(rule(template))
    event = Event("series", "db1", "used", {"mount point": "/"}, 1, 1, 90.0)
    [opened] = engine.process(event, 1)
    assert opened.derived_commands == [
        'series e:db1 m:metric_123=10 t:"mount point"=/ t:s=OPEN-warning'
    ]
