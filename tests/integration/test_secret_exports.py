"""Exports (rules.xml, endpoint XML) leave tokens empty unless secrets are explicitly asked
for, and only administrators may ask."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from rules.rulesxml import import_rules
from tests.unit.channels.hipchat.factories import make_hipchat

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "rulesxml"
TOKEN = "room-token-3c9e"


@pytest.fixture
def rule_with_a_token():
    """A rule whose web notification carries a token as an "editable in rules" parameter."""
    data = (FIXTURE / "series_rule_web_notification.xml").read_text()
    plain = "<key>message_format</key>\n<value>text</value>"
    assert plain in data
    data = data.replace(plain, f"<key>auth_token</key>\n<value>{TOKEN}</value>")
    report = import_rules(data.encode(), auto_enable=False)
    assert report.saved, report
    return report


def test_rule_export_of_a_token_marked_editable_in_rules_leaves_it_empty(
    operator_client, rule_with_a_token
):
    response = operator_client.get(reverse("rule-export") + "?all=1")
    body = response.content.decode()
    assert response.status_code == 200
    assert TOKEN not in body
    assert "<key>auth_token</key>" in body  # the parameter stays, without its value


def test_operators_cannot_ask_a_rule_export_for_secrets(operator_client, rule_with_a_token):
    response = operator_client.get(reverse("rule-export") + "?all=1&include_secrets=1")
    assert response.status_code == 403


def test_administrators_may_ask_a_rule_export_for_secrets(admin_client, rule_with_a_token):
    masked = admin_client.get(reverse("rule-export") + "?all=1").content.decode()
    assert TOKEN not in masked
    full = admin_client.get(reverse("rule-export") + "?all=1&include_secrets=1").content.decode()
    assert TOKEN in full


def test_export_rules_command_masks_tokens_unless_asked(rule_with_a_token):
    masked, full = StringIO(), StringIO()
    call_command("export_rules", stdout=masked)
    call_command("export_rules", "--include-secrets", stdout=full)
    assert TOKEN not in masked.getvalue()
    assert "<rules>" in masked.getvalue()
    assert TOKEN in full.getvalue()


def test_endpoint_export_leaves_tokens_and_proxy_password_empty_unless_asked(admin_client):
    endpoint = make_hipchat(params={"notification_token": TOKEN}, proxy_password="proxy-pw-77")
    masked = admin_client.get(reverse("endpoint-export-one", args=[endpoint.pk])).content
    assert TOKEN.encode() not in masked
    assert b"proxy-pw-77" not in masked
    url = reverse("endpoint-export-one", args=[endpoint.pk]) + "?include_secrets=1"
    full = admin_client.get(url).content
    assert TOKEN.encode() in full
    assert b"proxy-pw-77" in full
