"""Rule saves feed the rows; the tab's rows feed the rule's XML (spec §2.1 import, §7.2)."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest

from notifications.bindings import sync
from notifications.bindings.rows import specs_of
from notifications.models import RuleNotification
from rules.models.rule import Rule
from rules.rulesxml import export_rules, import_rules
from rules.rulesxml.web_notifications import read_web_notification, read_web_notifications
from tests.unit.bindings.conftest import read_fixture

pytestmark = pytest.mark.django_db

RULESXML = Path(__file__).resolve().parents[2] / "fixtures" / "rulesxml"
WALKTHROUGH = "atsd.jvm.low_memory"
OPEN = "[${status}] ${rule} for ${entity} ${tags}. ${ruleLink}"
LATER = (
    "[${status}] ${rule} for ${entity} ${tags}. Duration: ${alert_duration_interval}. ${ruleLink}"
)


def _walkthrough() -> bytes:
    return (RULESXML / "walkthrough_rules.xml").read_bytes()


def _rule(name: str = "cpu_high", xml: list[str] | None = None) -> Rule:
    return Rule.objects.create(
        name=name,
        metric="cpu_busy",
        window="length(3)",
        expression="avg() > 90",
        web_notifications_xml=xml or [],
    )


def test_importing_the_walkthrough_creates_one_binding_with_the_three_messages():
    assert import_rules(_walkthrough(), auto_enable=False).saved
    rows = list(RuleNotification.objects.filter(rule_name=WALKTHROUGH))
    assert len(rows) == 1
    row = rows[0]
    assert row.endpoint_name == "hc"
    assert row.name == "Web Service Notification id=1"
    assert row.open_params["message"] == OPEN
    assert row.repeat_params["message"] == LATER
    assert row.cancel_params["message"] == LATER
    assert row.open_params["message_format"] == "html"
    assert (row.open_enabled, row.repeat_enabled, row.cancel_enabled) == (True, True, True)
    assert row.repeat_strategy == {"type": "ALL", "count": 5, "unit": "MINUTE"}


def test_importing_leaves_the_rule_xml_as_imported():
    import_rules(_walkthrough(), auto_enable=False)
    rule = Rule.objects.get(name=WALKTHROUGH)
    before = list(rule.web_notifications_xml)
    rule.save()
    rule.refresh_from_db()
    assert rule.web_notifications_xml == before


def test_reimport_replaces_the_rows():
    import_rules(_walkthrough(), auto_enable=False)
    changed = _walkthrough().replace(
        b"<webNotificationConfigName>hc<", b"<webNotificationConfigName>hc2<"
    )
    changed = changed.replace(b"Web Service Notification id=1", b"Web Service Notification id=7")
    assert import_rules(changed, auto_enable=False).saved
    rows = list(RuleNotification.objects.filter(rule_name=WALKTHROUGH))
    assert [(r.name, r.endpoint_name) for r in rows] == [("Web Service Notification id=7", "hc2")]


def test_a_save_that_does_not_touch_the_notifications_keeps_the_rows():
    import_rules(_walkthrough(), auto_enable=False)
    row_id = RuleNotification.objects.get(rule_name=WALKTHROUGH).pk
    rule = Rule.objects.get(name=WALKTHROUGH)
    rule.description = "edited"
    rule.save()
    assert list(
        RuleNotification.objects.filter(rule_name=WALKTHROUGH).values_list("pk", flat=True)
    ) == [row_id]


def test_a_rule_saved_without_notifications_has_no_rows():
    import_rules(_walkthrough(), auto_enable=False)
    rule = Rule.objects.get(name=WALKTHROUGH)
    rule.web_notifications_xml = []
    rule.save()
    assert not RuleNotification.objects.filter(rule_name=WALKTHROUGH).exists()


def test_deleting_the_rule_deletes_its_rows_only():
    _rule("a", [read_fixture("hipchat.xml")])
    _rule("b", [read_fixture("hipchat.xml")])
    Rule.objects.get(name="a").delete()
    assert list(RuleNotification.objects.values_list("rule_name", flat=True)) == ["b"]


def test_rows_keep_the_xml_order_and_every_field():
    xml = [read_fixture(n) for n in ("spec_example.xml", "hipchat.xml", "disabled.xml")]
    _rule("r", xml)
    rows = list(RuleNotification.objects.filter(rule_name="r").order_by("position"))
    assert [r.position for r in rows] == [0, 1, 2]
    assert specs_of(rows) == read_web_notifications(xml)


def test_repeated_names_are_made_unique_and_written_back():
    hipchat = read_fixture("hipchat.xml")
    rule = _rule("r", [hipchat, hipchat])
    names = list(RuleNotification.objects.filter(rule_name="r").values_list("name", flat=True))
    assert names == ["Web Service Notification id=1", "Web Service Notification id=1 (2)"]
    rule.refresh_from_db()
    assert [read_web_notification(x).name for x in rule.web_notifications_xml] == names
    # Stable: saving again changes nothing.
    ids = list(RuleNotification.objects.filter(rule_name="r").values_list("pk", flat=True))
    rule.save()
    assert list(RuleNotification.objects.filter(rule_name="r").values_list("pk", flat=True)) == ids


def test_publish_writes_the_rows_into_the_rule_and_announces_after_commit(
    django_capture_on_commit_callbacks,
):
    import_rules(_walkthrough(), auto_enable=False)
    rule = Rule.objects.get(name=WALKTHROUGH)
    row = RuleNotification.objects.get(rule_name=WALKTHROUGH)
    row.open_params = {**row.open_params, "message": "new text ${entity}"}
    row.save()
    with (
        mock.patch("rules.partition.rule_changes.announce_rules_changed") as announce,
        mock.patch.object(sync, "sync_rows_from_rule") as resync,
        django_capture_on_commit_callbacks(execute=True),
    ):
        sync.publish_bindings(rule)
    announce.assert_called_once_with()
    resync.assert_not_called()  # update(), not save(): no post_save loop
    rule.refresh_from_db()
    assert rule.last_updated
    assert read_web_notification(rule.web_notifications_xml[0]).open.parameters["message"] == (
        "new text ${entity}"
    )
    assert b"new text ${entity}" in export_rules([rule])


def test_next_binding_name_follows_the_highest_id():
    _rule("r", [read_fixture("spec_example.xml")])  # id=6
    assert sync.next_binding_name("r") == "Web Service Notification id=7"
    assert sync.next_binding_name("empty") == "Web Service Notification id=1"
    assert sync.next_position("r") == 1
    assert sync.next_position("empty") == 0
