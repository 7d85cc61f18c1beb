"""<webNotification> ↔ field values (spec §2.3): defaults, every child, round trips."""

from __future__ import annotations

import pytest
from lxml import etree

from notifications.bindings.xml import (
    FIELDS,
    BindingXmlError,
    default_values,
    parse_web_notification,
    render_bindings,
    render_web_notification,
    same_bindings,
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
def test_parse_render_parse_gives_the_same_values_field_by_field(name):
    values = parse_web_notification(read_fixture(name))
    again = parse_web_notification(render_web_notification(values, "some.rule"))
    assert set(values) == set(FIELDS)
    for field in FIELDS:
        assert again[field] == values[field], field


@pytest.mark.parametrize("name", FIXTURE_FILES)
def test_render_parse_render_is_stable_text(name):
    once = render_web_notification(parse_web_notification(read_fixture(name)), "r")
    assert render_web_notification(parse_web_notification(once), "r") == once


def test_the_spec_example_reads_every_child():
    values = parse_web_notification(read_fixture("spec_example.xml"))
    assert values["name"] == "Web Service Notification id=6"
    assert values["enabled"] is True
    assert values["endpoint_name"] == "Telegram"
    assert values["open_delay_count"] == 15 and values["open_delay_unit"] == "SECOND"
    assert values["repeat_strategy"] == {"type": "COUNT", "count": 6, "unit": "MINUTE"}
    assert values["repeat_as_open"] is True and values["cancel_as_open"] is True
    for trigger in ("open", "repeat", "cancel"):
        assert values[f"{trigger}_enabled"] is True
        assert values[f"{trigger}_details"] is True
        assert values[f"{trigger}_screenshot"] is True
        assert values[f"{trigger}_params"] == {"text": OPEN, "disable_notification": ""}
    assert values["open_portal_ids"] == "175"
    assert values["repeat_portal_ids"] == "" and values["cancel_portal_ids"] == ""
    assert values["details_format"] == "ascii"
    assert values["raw_extra"] == []


def test_a_hipchat_binding_keeps_message_and_format_per_trigger():
    values = parse_web_notification(read_fixture("hipchat.xml"))
    assert values["endpoint_name"] == "hc"
    assert values["open_params"] == {"message": OPEN, "message_format": "html"}
    assert values["repeat_params"] == {"message": LATER, "message_format": "text"}
    assert values["cancel_params"] == {"message": LATER, "message_format": ""}
    assert values["repeat_strategy"] == {"type": "INTERVAL", "count": 5, "unit": "MINUTE"}
    assert values["open_delay_count"] == 0
    screenshots = [values[f"{t}_screenshot"] for t in ("open", "repeat", "cancel")]
    assert screenshots == [True, False, True]


def test_a_disabled_binding_with_a_legacy_value_and_a_details_format():
    values = parse_web_notification(read_fixture("disabled.xml"))
    assert values["enabled"] is False
    assert values["use_in_threshold_only"] is True
    assert values["name"] == "Slack on-call"
    assert values["repeat_strategy"]["type"] == "NONE"
    # Legacy placeholders stay text (spec §2.3); the format comes from the parameter.
    assert values["open_params"]["text"] == "${asciiDetailsTable}"
    assert values["details_format"] == "markdown"
    assert not values["repeat_enabled"] and not values["cancel_enabled"]


def test_unknown_children_are_kept_verbatim_and_rendered_again():
    values = parse_web_notification(read_fixture("unknown_child.xml"))
    assert values["raw_extra"] == [
        "<merge-threads>true</merge-threads>",
        '<foo attr="x"><bar>1</bar></foo>',
    ]
    assert values["open_params"]["message"] == (
        "@if{value > 90}\nHIGH ${value}\n@else{}\nnormal\n@end{}"
    )
    rendered = render_web_notification(values, "r")
    assert '<foo attr="x"><bar>1</bar></foo>' in rendered
    assert "<merge-threads>true</merge-threads>" in rendered


def test_missing_children_take_the_spec_defaults():
    values = parse_web_notification(
        "<webNotification><webNotificationConfigName>hc</webNotificationConfigName>"
        "</webNotification>",
        index=2,
    )
    expected = default_values(2)
    expected["endpoint_name"] = "hc"
    assert values == expected
    assert values["name"] == "Web Service Notification id=3"
    assert values["enabled"] is True
    assert values["repeat_strategy"]["type"] == "ALL"
    assert values["open_delay_count"] == 0


def test_rule_name_is_regenerated_from_the_owner():
    values = parse_web_notification(read_fixture("spec_example.xml"))
    rendered = etree.fromstring(render_web_notification(values, "new.owner"))
    assert rendered.findtext("rule-name") == "new.owner"


def test_render_writes_atsd_element_order_and_empty_values_as_empty_elements():
    values = parse_web_notification(read_fixture("spec_example.xml"))
    rendered = render_web_notification(values, "r")
    root = etree.fromstring(rendered)
    tags = [child.tag for child in root]
    assert tags[:5] == ["disabled", "rule-name", "first-delay", "repeat-interval", "name"]
    assert tags[-3:] == ["first-enabled", "repeat-enabled", "cancel-enabled"]
    assert "<key>disable_notification</key>\n<value/>" in rendered


def test_no_delay_and_no_portals_write_no_such_elements():
    rendered = render_web_notification(parse_web_notification(read_fixture("hipchat.xml")), "r")
    assert "<first-delay>" not in rendered
    assert "portal-ids" not in rendered


def test_a_details_format_without_its_parameter_travels_as_the_open_parameter():
    values = default_values()
    values.update(endpoint_name="hc", details_format="html", open_details=True)
    parsed = parse_web_notification(render_web_notification(values, "r"))
    assert parsed["details_format"] == "html"
    assert parsed["open_params"] == {"details_table_format": "html"}


def test_crlf_in_values_is_read_as_lf():
    raw = (
        "<webNotification><firstWebConfigParameters><key>message</key>"
        "<value>a&#13;\nb</value></firstWebConfigParameters></webNotification>"
    )
    assert parse_web_notification(raw)["open_params"] == {"message": "a\nb"}


def test_same_bindings_ignores_parameter_order():
    a = default_values()
    a["open_params"] = {"message": "x", "room": "2"}
    b = default_values()
    b["open_params"] = {"room": "2", "message": "x"}
    assert same_bindings([a], [b])
    b["open_params"]["room"] = "3"
    assert not same_bindings([a], [b])


def test_render_bindings_renders_each_in_order():
    first = parse_web_notification(read_fixture("hipchat.xml"))
    second = parse_web_notification(read_fixture("disabled.xml"))
    xml = render_bindings([first, second], "r")
    assert [parse_web_notification(x)["name"] for x in xml] == [first["name"], second["name"]]


@pytest.mark.parametrize(
    "raw,element",
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
    with pytest.raises(BindingXmlError) as caught:
        parse_web_notification(raw)
    assert caught.value.element == element


def test_entities_are_not_expanded():
    raw = '<!DOCTYPE x [<!ENTITY e "boom">]><webNotification><name>&e;</name></webNotification>'
    values = parse_web_notification(raw)
    assert "boom" not in values["name"]


def test_text_xml_cannot_hold_is_refused_on_render():
    values = default_values()
    values["open_params"] = {"message": "bell \x07"}
    with pytest.raises(BindingXmlError):
        render_web_notification(values, "r")
