"""A room token that an endpoint lets rules override is write-only on the rule's Web
Notifications tab, as tokens are on the endpoint form."""

from __future__ import annotations

import pytest
from django.urls import reverse

from notifications.models import Endpoint, RuleNotification
from rules.models.rule import Rule

pytestmark = pytest.mark.django_db

TOKEN = "per-room-token-5d1a"


@pytest.fixture
def bound_rule():
    endpoint = Endpoint(name="hc", kind="HIPCHAT")
    endpoint.set_parameters(
        [("room", "2", True), ("notification_token", "", True), ("message", "", True)]
    )
    endpoint.save()
    rule = Rule.objects.create(name="cpu_high", metric="cpu", window="length(1)", expression="1")
    row = RuleNotification.objects.create(
        rule_name=rule.name,
        name="Web Service Notification id=1",
        endpoint_name="hc",
        open_enabled=True,
        open_params={"room": "ops", "notification_token": TOKEN, "message": "${entity}"},
    )
    return rule, row


def test_the_binding_editor_never_shows_a_rule_level_token(admin_client, bound_rule):
    rule, row = bound_rule
    html = admin_client.get(reverse("rule-notification-edit", args=[rule.pk, row.pk])).content
    assert TOKEN.encode() not in html
    assert b'type="password"' in html
    assert b"stored; leave blank to keep" in html


def test_saving_the_binding_with_the_token_left_blank_keeps_it(admin_client, bound_rule):
    rule, row = bound_rule
    data = {
        "name": row.name,
        "enabled": "on",
        "endpoint": "hc",
        "open_enabled": "on",
        "open_delay_count": "0",
        "open_delay_unit": "SECOND",
        "details_format": "ascii",
        "open__param__room": "ops",
        "open__param__notification_token": "",
        "open__param__message": "${entity} changed",
        "repeat_type": "ALL",
        "repeat_count": "5",
        "repeat_unit": "MINUTE",
    }
    url = reverse("rule-notification-edit", args=[rule.pk, row.pk])
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    row.refresh_from_db()
    assert row.open_params["notification_token"] == TOKEN
    assert row.open_params["message"] == "${entity} changed"
