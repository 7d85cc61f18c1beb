"""DISCORD endpoints in ``*-notification.xml``: the webhook id and token are secrets."""

import pytest
from lxml import etree

from notifications.endpoints.xml import export_endpoints, import_endpoints
from notifications.models import Endpoint
from tests.unit.channels.discord.factories import WEBHOOK_ID, WEBHOOK_TOKEN, make_discord

pytestmark = pytest.mark.django_db


def test_export_writes_type_discord_with_the_webhook_hidden():
    make_discord(params={"username": "ATSD"})
    data = export_endpoints(Endpoint.objects.all())
    [element] = etree.fromstring(data)
    assert element.findtext("type") == "DISCORD"
    entries = {
        e.findall("string")[0].text: e.findall("string")[1].text
        for e in element.find("parameters").findall("entry")
    }
    assert entries == {"content": None, "username": "ATSD", "webhook_id": None,
                       "webhook_token": None}  # fmt: skip
    assert WEBHOOK_TOKEN.encode() not in data


def test_round_trip_with_secrets_restores_the_webhook_on_an_empty_server():
    before = make_discord().parameters
    data = export_endpoints(Endpoint.objects.all(), include_secrets=True)
    assert WEBHOOK_TOKEN.encode() in data
    Endpoint.objects.all().delete()
    import_endpoints(data)
    assert Endpoint.objects.get(name="discord").parameters == before


def test_round_trip_without_secrets_keeps_the_stored_webhook():
    before = make_discord().parameters
    import_endpoints(export_endpoints(Endpoint.objects.all()))
    after = Endpoint.objects.get(name="discord")
    assert after.parameters == before
    assert after.parameter("webhook_id") == WEBHOOK_ID
