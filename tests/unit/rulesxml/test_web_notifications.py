"""<webNotification> ↔ WebNotificationSpec (spec §2.3): defaults, every child, round trips."""

from __future__ import annotations

from dataclasses import replace

import pytest
from lxml import etree

from rules.contract.bindings import (
    RepeatInterval,
    TriggerSettings,
    WebNotificationError,
    WebNotificationSpec,
)
from rules.rulesxml.web_notifications import (
    read_web_notification,
    read_web_notifications,
    write_web_notification,
    write_web_notifications,
)
from tests.unit.bindings.conftest import FIXTURES, read_fixture

OPEN = "[${status}] ${rule} for ${entity} ${tags}. ${ruleLink}"
LATER = (
    "[${status}] ${rule} for ${entity} ${tags}. Duration: ${alert_duration_interval}. ${ruleLink}"
)

FIXTURE_FILES = sorted(p.name for p in FIXTURES.glob("*.xml"))


def test_the_fixture_folder_holds_the_four_documented_cases():
    assert FIXTURE_FILES == ["disabled.xml", "hipchat.xml", "spec_example.xml", "unknown_child.xml"]


@pytest.mark.parametrize("name", FIXTURE_FILES)
def test_read_write_read_gives_the_same_spec(name):
    spec = read_web_notification(read_fixture(name))
    assert read_web_notification(write_web_notification(spec, "some.rule")) == spec


@pytest.mark.parametrize("name", FIXTURE_FILES)
def test_write_read_write_is_stable_text(name):
    once = write_web_notification(read_web_notification(read_fixture(name)), "r")
    assert write_web_notification(read_web_notification(once), "r") == once


def test_the_spec_example_reads_every_child():
    spec = read_web_notification(read_fixture("spec_example.xml"))
    assert spec.name == "Web Service Notification id=6"
    assert spec.enabled is True
    assert spec.endpoint == "Telegram"
    assert (spec.open_delay.count, spec.open_delay.unit) == (15, "SECOND")
    assert spec.repeat_interval == RepeatInterval("COUNT", 6, "MINUTE")
    assert spec.repeat_as_open is True
    assert spec.cancel_as_open is True
    for trigger in ("open", "repeat", "cancel"):
        settings = spec.trigger(trigger)
        assert settings.enabled
        assert settings.details
        assert settings.screenshot
        assert settings.parameters == {"text": OPEN, "disable_notification": ""}
    assert spec.open.portal_ids == "175"
    assert spec.repeat.portal_ids == ""
    assert spec.cancel.portal_ids == ""
    assert spec.details_format == "ascii"
    assert spec.extra_elements == ()


def test_a_hipchat_binding_keeps_message_and_format_per_trigger():
    spec = read_web_notification(read_fixture("hipchat.xml"))
    assert spec.endpoint == "hc"
    assert spec.open.parameters == {"message": OPEN, "message_format": "html"}
    assert spec.repeat.parameters == {"message": LATER, "message_format": "text"}
    assert spec.cancel.parameters == {"message": LATER, "message_format": ""}
    assert spec.repeat_interval == RepeatInterval("INTERVAL", 5, "MINUTE")
    assert spec.open_delay.count == 0
    assert [spec.trigger(t).screenshot for t in ("open", "repeat", "cancel")] == [True, False, True]


def test_a_disabled_binding_with_a_legacy_value_and_a_details_format():
    spec = read_web_notification(read_fixture("disabled.xml"))
    assert spec.enabled is False
    assert spec.use_in_threshold_only is True
    assert spec.name == "Slack on-call"
    assert spec.repeat_interval.type == "NONE"
    # Legacy placeholders stay text (spec §2.3); the format comes from the parameter.
    assert spec.open.parameters["text"] == "${asciiDetailsTable}"
    assert spec.details_format == "markdown"
    assert not spec.repeat.enabled
    assert not spec.cancel.enabled


def test_unknown_children_are_kept_verbatim_and_written_again():
    spec = read_web_notification(read_fixture("unknown_child.xml"))
    assert spec.extra_elements == (
        "<merge-threads>true</merge-threads>",
        '<foo attr="x"><bar>1</bar></foo>',
    )
    assert spec.open.parameters["message"] == (
        "@if{value > 90}\nHIGH ${value}\n@else{}\nnormal\n@end{}"
    )
    written = write_web_notification(spec, "r")
    assert '<foo attr="x"><bar>1</bar></foo>' in written
    assert "<merge-threads>true</merge-threads>" in written


def test_missing_children_take_the_spec_defaults():
    spec = read_web_notification(
        "<webNotification><webNotificationConfigName>hc</webNotificationConfigName>"
        "</webNotification>",
        index=2,
    )
    assert spec == WebNotificationSpec(name="Web Service Notification id=3", endpoint="hc")
    assert spec.enabled is True
    assert spec.repeat_interval.type == "ALL"
    assert spec.open_delay.count == 0


def test_rule_name_is_regenerated_from_the_owner():
    spec = read_web_notification(read_fixture("spec_example.xml"))
    written = etree.fromstring(write_web_notification(spec, "new.owner"))
    assert written.findtext("rule-name") == "new.owner"


def test_write_follows_atsd_element_order_and_empty_values_as_empty_elements():
    written = write_web_notification(read_web_notification(read_fixture("spec_example.xml")), "r")
    tags = [child.tag for child in etree.fromstring(written)]
    assert tags[:5] == ["disabled", "rule-name", "first-delay", "repeat-interval", "name"]
    assert tags[-3:] == ["first-enabled", "repeat-enabled", "cancel-enabled"]
    assert "<key>disable_notification</key>\n<value/>" in written


def test_no_delay_and_no_portals_write_no_such_elements():
    written = write_web_notification(read_web_notification(read_fixture("hipchat.xml")), "r")
    assert "<first-delay>" not in written
    assert "portal-ids" not in written


def test_a_details_format_without_its_parameter_travels_as_the_open_parameter():
    spec = WebNotificationSpec(
        name="b", endpoint="hc", details_format="html", open=TriggerSettings(details=True)
    )
    again = read_web_notification(write_web_notification(spec, "r"))
    assert again.details_format == "html"
    assert again.open.parameters == {"details_table_format": "html"}


def test_crlf_in_values_is_read_as_lf():
    raw = (
        "<webNotification><firstWebConfigParameters><key>message</key>"
        "<value>a&#13;\nb</value></firstWebConfigParameters></webNotification>"
    )
    assert read_web_notification(raw).open.parameters == {"message": "a\nb"}


def test_specs_compare_parameters_without_regard_to_order():
    a = WebNotificationSpec(
        name="b", open=TriggerSettings(parameters={"message": "x", "room": "2"})
    )
    b = replace(a, open=TriggerSettings(parameters={"room": "2", "message": "x"}))
    assert a == b
    assert a != replace(a, open=TriggerSettings(parameters={"room": "3", "message": "x"}))


def test_parameters_of_a_spec_cannot_be_changed():
    spec = WebNotificationSpec(name="b", open=TriggerSettings(parameters={"message": "x"}))
    with pytest.raises(TypeError):
        spec.open.parameters["message"] = "y"  # type: ignore[index]


def test_a_rules_elements_are_read_and_written_in_order():
    first = read_web_notification(read_fixture("hipchat.xml"))
    second = read_web_notification(read_fixture("disabled.xml"))
    xml = write_web_notifications([first, second], "r")
    assert read_web_notifications(xml) == [first, second]


@pytest.mark.parametrize(
    ("raw", "element"),
    [
        ("<webNotification><disabled>maybe</disabled></webNotification>", "disabled"),
        ("<webNotification><name>a</name><name>b</name></webNotification>", "name"),
        (
            "<webNotification><first-delay><intervalCount>x</intervalCount></first-delay>"
            "</webNotification>",
            "first-delay",
        ),
        (
            "<webNotification><repeat-interval><type>SOMETIMES</type></repeat-interval>"
            "</webNotification>",
            "repeat-interval",
        ),
        (
            "<webNotification><first-delay><intervalUnit>FORTNIGHT</intervalUnit></first-delay>"
            "</webNotification>",
            "first-delay",
        ),
        (
            "<webNotification><firstWebConfigParameters><value>x</value>"
            "</firstWebConfigParameters></webNotification>",
            "firstWebConfigParameters",
        ),
        (
            "<webNotification><firstWebConfigParameters><key>m</key></firstWebConfigParameters>"
            "<firstWebConfigParameters><key>m</key></firstWebConfigParameters></webNotification>",
            "firstWebConfigParameters",
        ),
        ("<emailNotification/>", "emailNotification"),
        ("<webNotification>", "webNotification"),
    ],
)
def test_bad_elements_are_refused_naming_the_element(raw, element):
    with pytest.raises(WebNotificationError) as caught:
        read_web_notification(raw)
    assert caught.value.element == element


def test_entities_are_not_expanded():
    raw = '<!DOCTYPE x [<!ENTITY e "boom">]><webNotification><name>&e;</name></webNotification>'
    assert "boom" not in read_web_notification(raw).name


def test_text_xml_cannot_hold_is_refused_on_write():
    spec = WebNotificationSpec(name="b", open=TriggerSettings(parameters={"message": "bell \x07"}))
    with pytest.raises(WebNotificationError):
        write_web_notification(spec, "r")
