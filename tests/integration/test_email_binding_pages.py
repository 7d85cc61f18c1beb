"""The rule's Email Notifications tab: list, add, edit, delete, roles; exports follow."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from rules.contract.rule_bindings import email_notification_specs
from rules.models.rule import Rule
from rules.rulesxml import export_rules, import_rules

pytestmark = pytest.mark.django_db

RULESXML = Path(__file__).resolve().parents[1] / "fixtures" / "rulesxml"
RULE = "nginx-5xx"
NAME = "Email Notification id=12"


def imported() -> Rule:
    data = (RULESXML / "email_notification_rule.xml").read_bytes()
    assert import_rules(data, auto_enable=False).saved
    return Rule.objects.get(name=RULE)


def tab(rule: Rule) -> str:
    return f"/rules/{rule.pk}/notifications/email/"


def edit_form(**fields) -> dict[str, str]:
    data = {
        "name": NAME,
        "enabled": "on",
        "recipients": "ops@example.org; oncall@example.org",
        "repeat_type": "NONE",
        "repeat_count": "1",
        "repeat_unit": "HOUR",
        "delay_count": "0",
        "delay_unit": "SECOND",
        "priority": "1",
        "open_subject": "[${status}] ${rule} for ${entity}",
        "open_body": "<p>5xx count: ${sum()}</p>\r\nRule: ${ruleLink}",
        "open_details": "on",
        "open_screenshot": "on",
        "repeat_subject": "",
        "repeat_body": "",
        "cancel_subject": "[${status}] ${rule} for ${entity}",
        "cancel_body": "",
    }
    data.update(fields)
    return data


def exported_email(rule: Rule) -> etree._Element:
    root = etree.fromstring(export_rules(Rule.objects.filter(pk=rule.pk)))
    (element,) = root.iter("emailNotification")
    return element


def test_operators_read_the_imported_binding_with_its_triggers(operator_client):
    rule = imported()
    page = operator_client.get(tab(rule)).content.decode()
    assert NAME in page
    assert "OPEN, CANCEL" in page  # REPEAT has no subject: off
    assert "ops@example.org; oncall@example.org" in page
    assert "The mail client is not enabled" in page
    assert tab(rule) in operator_client.get(f"/rules/{rule.pk}/").content.decode()
    assert operator_client.get(tab(rule) + "0/").status_code == 403
    assert operator_client.post(tab(rule) + "0/delete/").status_code == 403


def test_an_unedited_import_exports_its_element_unchanged(admin_client):
    rule = imported()
    source = etree.fromstring((RULESXML / "email_notification_rule.xml").read_bytes())
    (original,) = source.iter("emailNotification")
    assert etree.tostring(exported_email(rule)) == etree.tostring(original).replace(b"&#13;", b"")


def test_editing_rewrites_the_rule_element_and_the_export(admin_client):
    rule = imported()
    form = admin_client.get(tab(rule) + "0/").content.decode()
    assert "5xx count: ${sum()}" in form
    response = admin_client.post(
        tab(rule) + "0/",
        edit_form(cancel_subject="Resolved: ${rule}", recipients="${entity}@example.org"),
    )
    assert response.status_code == 302, response.content.decode()[:800]
    (spec,) = email_notification_specs(Rule.objects.get(pk=rule.pk))
    assert spec.cancel.subject == "Resolved: ${rule}"
    assert spec.recipients == "${entity}@example.org"
    assert spec.open.body == "<p>5xx count: ${sum()}</p>\nRule: ${ruleLink}"
    element = exported_email(rule)
    assert element.findtext("cancel-subject") == "Resolved: ${rule}"
    assert element.findtext("priority") == "1"
    assert element.findtext("rule-name") == RULE


def test_adding_and_deleting_bindings(admin_client):
    rule = imported()
    response = admin_client.post(
        tab(rule) + "new/", edit_form(name="Email Notification id=13", open_subject="second")
    )
    assert response.status_code == 302
    assert [s.name for s in email_notification_specs(Rule.objects.get(pk=rule.pk))] == [
        NAME,
        "Email Notification id=13",
    ]
    duplicate = admin_client.post(tab(rule) + "new/", edit_form())
    assert duplicate.status_code == 400
    assert "Another email notification of this rule has this name." in duplicate.content.decode()
    assert admin_client.post(tab(rule) + "0/delete/").status_code == 302
    (spec,) = email_notification_specs(Rule.objects.get(pk=rule.pk))
    assert spec.name == "Email Notification id=13"
    assert admin_client.get(tab(rule) + "5/").status_code == 404
