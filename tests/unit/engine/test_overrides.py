"""The overrides table in the engine (spec §3.11, §3.7), with the real compiler."""

from __future__ import annotations

import pytest

from rules.engine.actions import ActionSettings
from rules.engine.definition import RuleDefinition
from rules.engine.engine import Engine
from rules.engine.grouping import Grouping
from rules.engine.overrides import OverrideError, OverrideRow
from rules.events import Event

pytestmark = pytest.mark.usefixtures("both_paths")

SPEC_ROWS = (
    OverrideRow("value", ">", error="100", entity="*", tags=(("file_system", "tmp"),)),
    OverrideRow("value", ">", error="50", entity="nurswgvml010"),
    OverrideRow("value", ">", error="90", entity="nurswgvml007", tags=(("mount_point", "/"),)),
    OverrideRow("value", ">", error="60", warning="30", entity_group="disk_prod", entity="*"),
)


def disk(entity, value, t, file_system="/dev/sda1", mount_point="/"):
    tags = {"file_system": file_system, "mount_point": mount_point}
    return Event("series", entity, "disk_used", tags, t, t, value, line_values={"disk_used": value})


def spec_engine(**rule):
    engine = Engine(group_member=lambda group, entity: (group, entity) == ("disk_prod", "db1"))
    engine.install(
        RuleDefinition(
            "disk", "disk_used", "value > 80", "length(1)", grouping=Grouping("ALL_TAGS"),
            severity="MAJOR", overrides=SPEC_ROWS, **rule,
        )
    )  # fmt: skip
    return engine


def test_spec_example_rows_decide_alert_severity_and_threshold():
    engine = spec_engine()
    assert engine.process(disk("nurswgvml006", 85, 1, file_system="tmp"), 1) == []
    [row2] = engine.process(disk("nurswgvml010", 55, 2), 2)
    assert (row2.status, row2.severity, row2.threshold) == ("OPEN", "CRITICAL", "value > 50")
    assert engine.process(disk("nurswgvml007", 85, 3), 3) == []
    [member] = engine.process(disk("db1", 45, 4), 4)
    assert (member.severity, member.threshold) == ("WARNING", "value > 30")
    [default] = engine.process(disk("other", 85, 5), 5)
    assert (default.status, default.severity, default.threshold) == ("OPEN", "MAJOR", "")


def test_cancel_keeps_the_severity_and_threshold_it_opened_with():
    engine = spec_engine()
    engine.process(disk("db1", 75, 1), 1)
    [cancel] = engine.process(disk("db1", 10, 2), 2)
    assert (cancel.status, cancel.severity, cancel.threshold) == (
        "CANCEL",
        "CRITICAL",
        "value > 60",
    )


def test_statistical_function_cell_over_the_window():
    engine = Engine()
    rows = (OverrideRow("max", ">=", error="20"),)
    engine.install(RuleDefinition("m", "disk_used", "false", "length(3)", overrides=rows))
    assert engine.process(disk("e", 5, 1), 1) == []
    [opened] = engine.process(disk("e", 20, 2), 2)
    assert opened.threshold == "max() >= 20"
    assert [t.status for t in engine.process(disk("e", 1, 3), 3)] == ["REPEAT"]


def test_row_naming_a_binding_routes_to_it_and_overrides_only_bindings_wait_for_rows():
    actions = (
        ActionSettings("web:ops", overrides_only=True),
        ActionSettings("web:all"),
        ActionSettings("alert-history"),
    )
    rows = (OverrideRow("value", ">", error="50", entity="critical-*", notifications=("ops",)),)
    engine = Engine()
    engine.install(
        RuleDefinition("r", "disk_used", "value > 80", "length(1)", overrides=rows, actions=actions)
    )
    [routed] = engine.process(disk("critical-1", 60, 1), 1)
    assert routed.fired() == ["web:ops", "alert-history"]
    [default] = engine.process(disk("plain", 90, 2), 2)
    assert default.fired() == ["web:all", "alert-history"]


def test_email_bindings_are_routed_by_override_rows_like_web_ones():
    actions = (
        ActionSettings("email:oncall", overrides_only=True),
        ActionSettings("email:team"),
        ActionSettings("web:all"),
    )
    rows = (OverrideRow("value", ">", error="50", entity="critical-*", notifications=("oncall",)),)
    engine = Engine()
    engine.install(
        RuleDefinition("r", "disk_used", "value > 80", "length(1)", overrides=rows, actions=actions)
    )
    [routed] = engine.process(disk("critical-1", 60, 1), 1)
    assert routed.fired() == ["email:oncall"]
    [default] = engine.process(disk("plain", 90, 2), 2)
    assert default.fired() == ["email:team", "web:all"]


def test_function_error_is_a_rule_error_and_status_stays():
    engine = Engine()
    rows = (OverrideRow("percentile(200)", ">", error="1"),)
    engine.install(RuleDefinition("p", "disk_used", "false", "length(2)", overrides=rows))
    assert engine.process(disk("e", 5, 1), 1) == []
    assert engine.errors
    assert "percentile" in engine.errors[-1].error


def test_bad_row_is_refused_at_install():
    engine = Engine()
    bad = (OverrideRow("value", "=>", error="1"),)
    with pytest.raises(OverrideError, match="override row 1: operator '=>'"):
        engine.install(RuleDefinition("b", "m", "value > 1", "length(1)", overrides=bad))
    with pytest.raises(OverrideError, match="neither an error nor a warning"):
        engine.install(
            RuleDefinition("b", "m", "value > 1", "length(1)", overrides=(OverrideRow(),))
        )


def test_group_filter_admits_members_only():
    engine = Engine(group_member=lambda group, entity: group == "prod" and entity == "db1")
    engine.install(RuleDefinition("g", "disk_used", "value > 1", "length(1)", group_filter="prod"))
    assert engine.process(disk("web1", 5, 1), 1) == []
    assert [t.status for t in engine.process(disk("db1", 5, 2), 2)] == ["OPEN"]
    log = engine.rules["g"].filter_log.to_list()
    assert [entry["step"] for entry in log] == ["group_filter", "accepted"]
