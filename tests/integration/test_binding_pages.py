"""The rule's Web Notifications tab: list, add, edit, delete, roles, template errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from notifications.models import Endpoint, RuleNotification
from rules.contract.bindings import RepeatInterval
from rules.models.rule import Rule
from rules.rulesxml import export_rules, import_rules
from rules.rulesxml.web_notifications import read_web_notification

pytestmark = pytest.mark.django_db

RULESXML = Path(__file__).resolve().parents[1] / "fixtures" / "rulesxml"
WALKTHROUGH = "atsd.jvm.low_memory"
OPEN = "[${status}] ${rule} for ${entity} ${tags}. ${ruleLink}"
LATER = (
    "[${status}] ${rule} for ${entity} ${tags}. Duration: ${alert_duration_interval}. ${ruleLink}"
)


def _endpoint(name: str = "hc", *, enabled: bool = True) -> Endpoint:
    endpoint = Endpoint(name=name, kind="HIPCHAT", enabled=enabled)
    endpoint.set_parameters(
        [
            ("room", "2", True),
            ("auth_token", "secret-token", False),
            ("message_format", "text", False),
            ("message", "", True),
        ]
    )
    endpoint.save()
    return endpoint


def _walkthrough() -> Rule:
    assert import_rules((RULESXML / "walkthrough_rules.xml").read_bytes(), auto_enable=False).saved
    return Rule.objects.get(name=WALKTHROUGH)


def _rule(name: str = "cpu_high") -> Rule:
    return Rule.objects.create(
        name=name, metric="cpu_busy", window="length(3)", expression="avg() > 90"
    )


def _post(**overrides: str) -> dict[str, str]:
    """A complete, valid binding POST for endpoint hc; keyword arguments replace fields."""
    data = {
        "name": "Web Service Notification id=1",
        "enabled": "on",
        "endpoint": "hc",
        "open_enabled": "on",
        "open_delay_count": "0",
        "open_delay_unit": "SECOND",
        "details_format": "ascii",
        "open__param__message": OPEN,
        "open__param__room": "",
        "repeat_enabled": "on",
        "repeat_type": "ALL",
        "repeat_count": "5",
        "repeat_unit": "MINUTE",
        "repeat__param__message": LATER,
        "repeat__param__room": "",
        "cancel_enabled": "on",
        "cancel__param__message": LATER,
        "cancel__param__room": "",
        "open_screenshot": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --- list ---------------------------------------------------------------------------


def test_operators_read_the_list_with_endpoint_and_triggers(operator_client):
    _endpoint()
    rule = _walkthrough()
    page = operator_client.get(reverse("rule-notifications", args=[rule.pk])).content.decode()
    assert "Web Service Notification id=1" in page
    assert "hc" in page
    assert "HIPCHAT" in page
    assert "OPEN, REPEAT, CANCEL" in page
    assert "unresolved" not in page
    assert reverse("rule-detail", args=[rule.pk]) in page  # the way back to the rule editor
    assert reverse("rule-notification-create", args=[rule.pk]) not in page


def test_an_endpoint_name_that_names_no_endpoint_is_shown_unresolved(admin_client):
    rule = _walkthrough()  # binds "hc", which does not exist here
    page = admin_client.get(reverse("rule-notifications", args=[rule.pk])).content.decode()
    assert "unresolved" in page
    row = RuleNotification.objects.get(rule_name=WALKTHROUGH)
    edit = admin_client.get(reverse("rule-notification-edit", args=[rule.pk, row.pk]))
    assert "hc (unresolved: no such endpoint)" in edit.content.decode()


def test_the_endpoint_select_offers_enabled_endpoints_only(admin_client):
    _endpoint("hc")
    _endpoint("old-room", enabled=False)
    rule = _rule()
    page = admin_client.get(reverse("rule-notification-create", args=[rule.pk])).content.decode()
    assert 'value="hc"' in page
    assert 'value="old-room"' not in page
    # Message first among the endpoint's editable parameters.
    assert page.index('name="open__param__message"') < page.index('name="open__param__room"')
    assert "auth_token" not in page
    assert "secret-token" not in page


# --- roles --------------------------------------------------------------------------


def test_operators_get_403_on_every_editing_page(operator_client):
    _endpoint()
    rule = _walkthrough()
    row = RuleNotification.objects.get(rule_name=WALKTHROUGH)
    urls = [
        reverse("rule-notification-create", args=[rule.pk]),
        reverse("rule-notification-edit", args=[rule.pk, row.pk]),
        reverse("rule-notification-delete", args=[rule.pk, row.pk]),
    ]
    for url in urls:
        assert operator_client.get(url).status_code == 403
        assert operator_client.post(url, _post()).status_code == 403
    assert RuleNotification.objects.get(pk=row.pk).open_params["message"] == OPEN


def test_a_binding_of_another_rule_is_404(admin_client):
    _endpoint()
    rule = _walkthrough()
    other = _rule()
    row = RuleNotification.objects.get(rule_name=WALKTHROUGH)
    assert (
        admin_client.get(reverse("rule-notification-edit", args=[other.pk, row.pk])).status_code
        == 404
    )
    assert (
        admin_client.get(reverse("rule-notification-edit", args=[rule.pk, row.pk])).status_code
        == 200
    )


# --- add, edit, delete -----------------------------------------------------------------


def test_adding_a_binding_writes_the_row_and_the_rule_xml(admin_client):
    _endpoint()
    rule = _rule()
    response = admin_client.post(reverse("rule-notification-create", args=[rule.pk]), _post())
    assert response.status_code == 302
    assert response["Location"] == reverse("rule-notifications", args=[rule.pk])
    row = RuleNotification.objects.get(rule_name=rule.name)
    assert row.endpoint_name == "hc"
    assert row.open_params == {"message": OPEN, "room": ""}
    assert row.repeat_params["message"] == LATER
    assert row.cancel_params["message"] == LATER
    assert row.open_screenshot
    assert not row.repeat_screenshot
    rule.refresh_from_db()
    assert len(rule.web_notifications_xml) == 1
    spec = read_web_notification(rule.web_notifications_xml[0])
    assert spec.open.parameters["message"] == OPEN
    assert spec.name == row.name
    assert rule.last_updated


def test_editing_via_the_tab_rewrites_the_xml_and_the_export(admin_client):
    _endpoint()
    rule = _walkthrough()
    row = RuleNotification.objects.get(rule_name=WALKTHROUGH)
    url = reverse("rule-notification-edit", args=[rule.pk, row.pk])
    form = admin_client.get(url).content.decode()
    # The stored message_format is not editable on this endpoint: shown, kept, flagged.
    assert 'name="open__param__message_format"' in form
    assert "not editable on the endpoint" in form
    new = "Now: ${entity} is at ${value} (${severity})"
    data = _post(name=row.name, open__param__message=new, repeat_type="COUNT")
    data["open__param__message_format"] = "html"
    data["repeat_count"] = "3"
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    rule.refresh_from_db()
    spec = read_web_notification(rule.web_notifications_xml[0])
    assert spec.open.parameters["message"] == new
    assert spec.repeat_interval == RepeatInterval("COUNT", 3, "MINUTE")
    assert spec.open.parameters["message_format"] == "html"
    exported = export_rules(Rule.objects.filter(pk=rule.pk)).decode()
    assert new in exported
    assert OPEN not in exported


def test_editing_keeps_the_row_and_its_id_in_step_with_later_rule_saves(admin_client):
    _endpoint()
    rule = _walkthrough()
    row = RuleNotification.objects.get(rule_name=WALKTHROUGH)
    data = _post(name=row.name, open__param__message="changed ${entity}")
    admin_client.post(reverse("rule-notification-edit", args=[rule.pk, row.pk]), data)
    rule.refresh_from_db()
    rule.description = "saved by the rule editor"
    rule.save()
    assert list(
        RuleNotification.objects.filter(rule_name=WALKTHROUGH).values_list("pk", flat=True)
    ) == [row.pk]


def test_the_storm_digest_setting_is_saved_and_kept_by_later_rule_saves(admin_client):
    _endpoint()
    rule = _walkthrough()
    row = RuleNotification.objects.get(rule_name=WALKTHROUGH)
    url = reverse("rule-notification-edit", args=[rule.pk, row.pk])
    form = admin_client.get(url).content.decode()
    assert 'name="digest_enabled"' in form
    assert 'name="digest_threshold" value="10"' in form
    data = _post(name=row.name, digest_enabled="on", digest_threshold="25")
    assert admin_client.post(url, data).status_code == 302
    rule.refresh_from_db()
    rule.description = "saved by the rule editor"
    rule.save()
    row.refresh_from_db()
    assert (row.digest_enabled, row.digest_threshold) == (True, 25)
    bad = admin_client.post(url, _post(name=row.name, digest_threshold="0"))
    assert bad.status_code == 400
    assert 'id="form-errors"' in bad.content.decode()


def test_deleting_a_binding_removes_it_from_the_rule_xml(admin_client):
    _endpoint()
    rule = _walkthrough()
    row = RuleNotification.objects.get(rule_name=WALKTHROUGH)
    url = reverse("rule-notification-delete", args=[rule.pk, row.pk])
    assert admin_client.get(url).status_code == 200
    assert admin_client.post(url).status_code == 302
    rule.refresh_from_db()
    assert rule.web_notifications_xml == []
    assert not RuleNotification.objects.filter(rule_name=WALKTHROUGH).exists()


def test_a_non_ascii_details_format_is_kept_through_the_xml(admin_client):
    _endpoint()
    rule = _rule()
    data = _post(details_format="markdown", open_details="on")
    admin_client.post(reverse("rule-notification-create", args=[rule.pk]), data)
    rule.refresh_from_db()
    spec = read_web_notification(rule.web_notifications_xml[0])
    assert spec.details_format == "markdown"
    assert spec.open.details is True


def test_changing_the_endpoint_reloads_parameters_without_saving(admin_client):
    _endpoint()
    telegram = Endpoint(name="tg", kind="TELEGRAM")
    telegram.set_parameters([("text", "", True), ("chat_id", "@room", True)])
    telegram.save()
    rule = _rule()
    data = _post(endpoint="tg", refresh="1")
    page = admin_client.post(reverse("rule-notification-create", args=[rule.pk]), data)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="open__param__text"' in html
    assert 'name="open__param__chat_id"' in html
    assert OPEN in html  # what was typed is kept
    assert not RuleNotification.objects.exists()


# --- validation -------------------------------------------------------------------------


def test_bad_placeholder_syntax_shows_a_field_error_and_saves_nothing(admin_client):
    _endpoint()
    rule = _rule()
    data = _post(repeat__param__message="x ${round(} y")
    response = admin_client.post(reverse("rule-notification-create", args=[rule.pk]), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Not saved" in page
    assert "${round(}" in page
    assert "line 1, column" in page
    assert 'class="field has-error" id="field-id_repeat_p0"' in page
    assert not RuleNotification.objects.exists()
    rule.refresh_from_db()
    assert rule.web_notifications_xml == []


def test_unknown_functions_save_with_a_warning(admin_client):
    _endpoint()
    rule = _rule()
    data = _post(open__param__message="${no_such_fn(value)}")
    response = admin_client.post(
        reverse("rule-notification-create", args=[rule.pk]), data, follow=True
    )
    page = response.content.decode()
    assert "no_such_fn" in page
    assert "not run by the engine yet" in page
    assert RuleNotification.objects.get().open_params["message"] == "${no_such_fn(value)}"


def test_two_bindings_of_one_rule_cannot_share_a_name(admin_client):
    _endpoint()
    rule = _rule()
    admin_client.post(reverse("rule-notification-create", args=[rule.pk]), _post())
    response = admin_client.post(reverse("rule-notification-create", args=[rule.pk]), _post())
    assert response.status_code == 400
    assert "already has a binding named" in response.content.decode()
    # The same endpoint twice under another name is fine (§7.2).
    second = _post(name="Web Service Notification id=2")
    assert (
        admin_client.post(reverse("rule-notification-create", args=[rule.pk]), second).status_code
        == 302
    )
    rule.refresh_from_db()
    assert len(rule.web_notifications_xml) == 2


def test_control_characters_are_refused(admin_client):
    _endpoint()
    rule = _rule()
    data = _post(open__param__message="bell \x07")
    response = admin_client.post(reverse("rule-notification-create", args=[rule.pk]), data)
    assert response.status_code == 400
    assert "U+0007" in response.content.decode()
