"""Export to rules.xml (spec §2.1, §2.2) and the export → import round trip."""

import pytest
from lxml import etree

from rules.models import Rule
from rules.rulesxml import export_rules, import_rules, read_rules, write_rules
from rules.rulesxml.schema import ELEMENTS
from rules.rulesxml.spec import RuleSpec

from .conftest import FIXTURES, read_fixture

OUR_RULE_FIXTURES = sorted(
    p.name
    for p in FIXTURES.glob("*.xml")
    if p.name
    not in {
        "billion_laughs.xml",
        "external_entity.xml",
        "not_xml.xml",
        "wrong_root.xml",
        "one_broken_among_valid.xml",
    }
)


def _import(name: str) -> None:
    report = import_rules(read_fixture(name), auto_enable=False)
    assert report.saved, report.failures


def _values(rule: Rule) -> dict:
    return {name: getattr(rule, name) for name in RuleSpec.model_field_names()}


def _children(xml: bytes, rule_name: str) -> list[etree._Element]:
    root = etree.fromstring(xml)
    (rule,) = [r for r in root if r.findtext("name") == rule_name]
    return list(rule)


@pytest.mark.django_db
@pytest.mark.parametrize("name", OUR_RULE_FIXTURES)
def test_export_then_import_gives_the_same_model_values(name):
    _import(name)
    before = {r.name: _values(r) for r in Rule.objects.all()}
    exported = export_rules(Rule.objects.all())
    Rule.objects.all().delete()

    report = import_rules(exported, auto_enable=False)

    assert report.saved, report.failures
    after = {r.name: _values(r) for r in Rule.objects.all()}
    assert after.keys() == before.keys()
    for rule_name, values in before.items():
        for field, value in values.items():
            assert after[rule_name][field] == value, f"{rule_name}.{field}"


def test_children_follow_the_section_2_2_order(fixture_bytes):
    specs = read_rules(fixture_bytes("series_rule_web_notification.xml"))
    tags = [child.tag for child in _children(write_rules(specs), "disk_low")]
    order = [e.xml for e in ELEMENTS]
    assert tags == sorted(tags, key=order.index)
    assert tags[:2] == ["name", "enabled"]
    assert tags[-1] == "webNotification"


def test_expression_like_texts_are_cdata():
    spec = RuleSpec(
        name="r",
        metric="m",
        window="length(1)",
        expression="value > 1 && value < 5",
        filter="tags.a = 'x'",
        description="<b>bold</b>",
        user_expressions=[{"name": "v", "expression": "value * 2"}],
    )
    xml = write_rules([spec]).decode()
    assert "<expression><![CDATA[value > 1 && value < 5]]></expression>" in xml
    assert "<filter><![CDATA[tags.a = 'x']]></filter>" in xml
    assert "<description><![CDATA[<b>bold</b>]]></description>" in xml
    assert "<expression><![CDATA[value * 2 AS v]]></expression>" in xml
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?><rules>\n<rule>\n<name>r</name>\n')


def test_text_with_cdata_terminator_is_escaped_and_round_trips():
    spec = RuleSpec(name="r", metric="m", window="length(1)", expression="'a]]>b' = text")
    xml = write_rules([spec])
    assert b"'a]]&gt;b' = text" in xml
    (back,) = read_rules(xml)
    assert back.expression == spec.expression


def test_absent_log_to_alert_history_stays_absent():
    spec = RuleSpec(name="r", metric="m", window="length(1)", expression="true")
    xml = write_rules([spec])
    assert b"logToAlertHistory" not in xml
    assert b"lastUpdated" not in xml
    spec.log_to_alert_history = False
    assert b"<logToAlertHistory>false</logToAlertHistory>" in write_rules([spec])


def test_entity_filter_is_written_one_element_per_pattern():
    spec = RuleSpec(
        name="r", metric="m", window="length(1)", expression="true", entity_filter="a* b"
    )
    xml = write_rules([spec])
    assert b"<entityFilter>a*</entityFilter>\n<entityFilter>b</entityFilter>" in xml


@pytest.mark.django_db
def test_unknown_element_and_empty_rule_table_are_kept(fixture_bytes):
    """§9 row 31: the §2.3 rule with <foo>1</foo> exports the same elements and values."""
    original = fixture_bytes("unknown_element_rule.xml")
    _import("unknown_element_rule.xml")

    exported = export_rules(Rule.objects.filter(name="atsd.jvm.low_memory"))

    children = _children(exported, "atsd.jvm.low_memory")
    by_tag = {c.tag: c for c in children}
    assert etree.tostring(by_tag["foo"], with_tail=False) == b"<foo>1</foo>"
    assert etree.tostring(by_tag["ruleTable"], with_tail=False) == b"<ruleTable/>"
    assert [c.tag for c in children][-2:] == ["foo", "bar"]  # unknown ones last, in order
    source = {c.tag: c for c in etree.fromstring(original).find("rule")}
    for tag in ("webNotification", "bar", "name", "metric", "window", "severity"):
        assert etree.tostring(by_tag[tag], with_tail=False) == etree.tostring(
            source[tag], with_tail=False
        ), tag
    assert by_tag["expression"].text == "avg() > 10 || max() > 85"
    assert by_tag["tagsGroupingStrategy"].text == "NO_TAGS"


@pytest.mark.django_db
def test_store_only_blocks_are_re_exported_unchanged(fixture_bytes):
    _import("email_notification_rule.xml")
    exported = export_rules(Rule.objects.all())
    source = {c.tag: c for c in etree.fromstring(fixture_bytes("email_notification_rule.xml"))[0]}
    by_tag = {c.tag: c for c in _children(exported, "nginx-5xx")}
    for tag in ("dateFilter", "ruleTable"):
        assert etree.tostring(by_tag[tag], with_tail=False) == etree.tostring(
            source[tag], with_tail=False
        )
    email = by_tag["emailNotification"]
    assert email.findtext("recipients") == "ops@example.org; oncall@example.org"
    # The only change is the one spec §2.1 asks for: CRLF → LF.
    assert email.findtext("body-first") == "<p>5xx count: ${sum()}</p>\nRule: ${ruleLink}"


@pytest.mark.django_db
def test_export_one_several_or_all(fixture_bytes):
    _import("old_style_rules.xml")
    one = read_rules(export_rules([Rule.objects.get(name="old-series")]))
    several = read_rules(export_rules(Rule.objects.filter(name__startswith="old-")))
    every = read_rules(export_rules(Rule.objects.all()))
    assert [s.name for s in one] == ["old-series"]
    assert [s.name for s in several] == ["old-message", "old-series"]
    assert [s.name for s in every] == ["old-message", "old-series", "zk-latency"]


def test_empty_export_is_an_empty_rules_document():
    assert write_rules([]) == b'<?xml version="1.0" encoding="UTF-8"?><rules>\n</rules>\n'


def test_empty_text_elements_survive_the_round_trip():
    data = (
        b"<rules><rule><name>r</name><owner/><description></description><metric>m</metric>"
        b"<window>length(1)</window><expression>true</expression></rule></rules>"
    )
    (spec,) = read_rules(data)
    assert spec.empty_elements == ["description", "owner"]
    written = write_rules([spec])
    assert b"<description/>" in written
    assert b"<owner/>" in written
    assert b"<type/>" not in written  # absent in the file: still left out
    (again,) = read_rules(written)
    assert again == spec
