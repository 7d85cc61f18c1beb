"""Rules as the engine runs them: logging and web-notification actions."""

from rules.contract.triggers import ALERT_HISTORY_ACTION
from rules.engine.actions import COUNT, INTERVAL
from rules.models import Rule
from rules.partition.definitions import definition_of, email_actions, web_actions

BINDING = """<webNotification>
<disabled>{disabled}</disabled>
<first-delay><intervalCount>15</intervalCount><intervalUnit>SECOND</intervalUnit></first-delay>
<repeat-interval><type>COUNT</type><intervalCount>6</intervalCount><intervalUnit>MINUTE</intervalUnit></repeat-interval>
<name>{name}</name>
<use-in-threshold-only>{threshold_only}</use-in-threshold-only>
<webNotificationConfigName>hc</webNotificationConfigName>
<first-enabled>true</first-enabled><repeat-enabled>false</repeat-enabled><cancel-enabled>true</cancel-enabled>
</webNotification>"""


def rule(**fields) -> Rule:
    base = {"name": "r", "metric": "m", "expression": "true", "window": "length(1)"}
    base.update(fields)
    return Rule(**base)


def binding(name="b1", disabled="false", threshold_only="false") -> str:
    return BINDING.format(name=name, disabled=disabled, threshold_only=threshold_only)


def test_each_enabled_binding_is_an_action_with_its_triggers_delay_and_strategy():
    (action,) = web_actions(rule(web_notifications_xml=[binding()]))
    assert action.name == "web:b1"
    assert (action.on_open, action.on_repeat, action.on_cancel) == (True, False, True)
    assert action.delay_ms == 15_000
    assert action.strategy.type == COUNT
    assert action.strategy.count == 6


def test_disabled_bindings_get_no_action_and_overrides_only_ones_are_marked():
    xml = [binding("a", disabled="true"), binding("b", threshold_only="true"), binding("c")]
    actions = web_actions(rule(web_notifications_xml=xml))
    assert [(a.name, a.overrides_only) for a in actions] == [("web:b", True), ("web:c", False)]


def test_enabled_derived_command_is_an_action_on_open_and_repeat():
    definition = definition_of(
        rule(
            log_to_alert_history=False,
            derived_command="series e:${entity} m:x=1",
            derived_command_enabled=True,
            derived_command_strategy={"type": "COUNT", "count": 3, "unit": "MINUTE"},
        )
    )
    (derived,) = definition.actions
    assert (derived.name, derived.on_open, derived.on_repeat, derived.on_cancel) == (
        "derived", True, True, False,
    )  # fmt: skip
    assert (derived.strategy.type, derived.strategy.count) == ("COUNT", 3)
    assert definition.derived_command == "series e:${entity} m:x=1"
    disabled = definition_of(rule(derived_command="series e:a m:x=1"))
    assert disabled.derived_command == ""


def test_legacy_rules_log_open_and_cancel_always():
    (history,) = [a for a in definition_of(rule()).actions if a.name == ALERT_HISTORY_ACTION]
    assert (history.on_open, history.on_repeat, history.on_cancel) == (True, False, True)


def test_logging_off_writes_no_history():
    assert not definition_of(rule(log_to_alert_history=False)).actions


def test_logging_on_follows_the_logging_triggers_and_strategy():
    definition = definition_of(
        rule(
            log_to_alert_history=True,
            alert_open_message_enabled=True,
            alert_message_enabled=True,
            alert_strategy={"type": "INTERVAL", "count": 5, "unit": "MINUTE"},
        )
    )
    (history,) = definition.actions
    assert (history.on_open, history.on_repeat, history.on_cancel) == (True, True, False)
    assert history.strategy.type == INTERVAL
    assert history.strategy.interval_ms == 300_000


def test_a_binding_without_a_name_acts_under_the_name_its_row_gets():
    unnamed = binding().replace("<name>b1</name>", "")
    actions = web_actions(rule(web_notifications_xml=[binding("a"), unnamed]))
    assert [a.name for a in actions] == ["web:a", "web:Web Service Notification id=2"]


def test_an_unreadable_binding_gets_no_action_and_the_others_run():
    broken = binding("a").replace("<first-enabled>true", "<first-enabled>maybe")
    assert [a.name for a in web_actions(rule(web_notifications_xml=[broken, binding()]))] == [
        "web:b1"
    ]


EMAIL = """<emailNotification>
<disabled>{disabled}</disabled>
<repeat-interval><type>{repeat}</type><intervalCount>1</intervalCount><intervalUnit>HOUR</intervalUnit></repeat-interval>
<name>{name}</name>
<recipients>ops@example.org</recipients>
<first-subject>[${{status}}] ${{rule}}</first-subject>
<repeat-subject>[${{status}}] ${{rule}}</repeat-subject>
<cancel-subject></cancel-subject>
</emailNotification>"""


def email(name="Email Notification id=1", disabled="false", repeat="INTERVAL") -> str:
    return EMAIL.format(name=name, disabled=disabled, repeat=repeat)


def test_each_email_binding_is_an_action_whose_triggers_are_its_non_empty_subjects():
    (action,) = email_actions(rule(email_notifications_xml=[email()]))
    assert action.name == "email:Email Notification id=1"
    assert (action.on_open, action.on_repeat, action.on_cancel) == (True, True, False)
    assert action.strategy.type == INTERVAL
    assert action.strategy.interval_ms == 3_600_000


def test_disabled_email_bindings_get_no_action_and_both_kinds_run_side_by_side():
    xml = [email("off", disabled="true"), email("on", repeat="NONE")]
    definition = definition_of(rule(email_notifications_xml=xml, web_notifications_xml=[binding()]))
    names = [a.name for a in definition.actions]
    assert names == [ALERT_HISTORY_ACTION, "web:b1", "email:on"]


def test_email_bindings_used_in_overrides_only_are_marked_as_web_ones_are():
    threshold_only = email("rows").replace(
        "<name>rows</name>", "<name>rows</name><use-in-threshold-only>true</use-in-threshold-only>"
    )
    actions = email_actions(rule(email_notifications_xml=[threshold_only, email("all")]))
    assert [(a.name, a.overrides_only) for a in actions] == [
        ("email:rows", True),
        ("email:all", False),
    ]


def test_logging_texts_follow_same_as_on_open_and_need_alert_history():
    texts = {"alert_open_message": "o", "alert_message": "r", "alert_cancellation_message": "c"}
    logged = definition_of(rule(log_to_alert_history=True, **texts))
    assert logged.alert_texts == ("o", "r", "c")
    as_open = rule(
        log_to_alert_history=True, alert_message_as_open=True,
        alert_cancellation_message_as_open=True, **texts,
    )  # fmt: skip
    assert definition_of(as_open).alert_texts == ("o", "o", "o")
    assert definition_of(rule(log_to_alert_history=False, **texts)).alert_texts == ("", "", "")


def test_a_logger_name_is_a_file_log_action_on_the_logging_triggers():
    logged = definition_of(
        rule(
            alert_logger_name=" ops.alerts ", alert_open_message="o",
            alert_open_message_enabled=True, alert_cancellation_message_enabled=True,
        )
    )  # fmt: skip
    (action,) = [a for a in logged.actions if a.name == "alert-log"]
    assert (action.on_open, action.on_repeat, action.on_cancel) == (True, False, True)
    assert logged.alert_logger == "ops.alerts"
    assert logged.alert_texts[0] == "o"  # rendered for the file log without alert history
    assert not [a for a in definition_of(rule()).actions if a.name == "alert-log"]
