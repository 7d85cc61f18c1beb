"""TELEGRAM endpoints in ``*-notification.xml``: our shape (spec §2.6 [decision]),
the bot token written only when asked, and the round trip to the same endpoint."""

import pytest
from lxml import etree

from notifications.endpoints.xml import EndpointImportError, export_endpoints, import_endpoints
from notifications.models import Endpoint
from tests.unit.channels.telegram.factories import BOT_TOKEN, make_telegram

pytestmark = pytest.mark.django_db

FIELDS = ("name", "kind", "enabled", "description", "base_url", "proxy_url", "parameters")


def _snapshot(endpoint: Endpoint) -> dict:
    return {f: getattr(endpoint, f) for f in FIELDS}


def test_export_is_a_web_notification_config_of_type_telegram_without_the_token():
    make_telegram(base_url="https://gateway.example.org/telegram")
    [element] = etree.fromstring(export_endpoints(Endpoint.objects.all()))
    assert element.tag == "com.axibase.tsd.model.notifications.WebNotificationConfig"
    assert element.findtext("type") == "TELEGRAM"
    assert element.findtext("baseUrl") == "https://gateway.example.org/telegram"
    entries = {
        e.findall("string")[0].text: e.findall("string")[1].text
        for e in element.find("parameters").findall("entry")
    }
    assert entries["chat_id"] == "@ops_alerts"
    assert not entries["bot_id"]
    exposed = [s.text for s in element.find("exposedTableModelParams").findall("string")]
    assert exposed == ["chat_id", "text"]


def test_round_trip_with_secrets_restores_the_endpoint_on_an_empty_server():
    before = _snapshot(make_telegram(description="ops\nchannel"))
    data = export_endpoints(Endpoint.objects.all(), include_secrets=True)
    assert BOT_TOKEN.encode() in data
    Endpoint.objects.all().delete()
    report = import_endpoints(data)
    assert [(i.name, i.kind, i.outcome) for i in report.items] == [("tg", "TELEGRAM", "created")]
    assert _snapshot(Endpoint.objects.get(name="tg")) == before


def test_import_without_the_token_keeps_the_stored_one():
    make_telegram()
    import_endpoints(export_endpoints(Endpoint.objects.all()))
    assert Endpoint.objects.get(name="tg").parameter("bot_id") == BOT_TOKEN


def test_an_imported_chat_id_that_is_not_a_chat_is_refused():
    make_telegram()
    data = export_endpoints(Endpoint.objects.all()).replace(b"@ops_alerts", b"ops alerts")
    Endpoint.objects.all().delete()
    with pytest.raises(EndpointImportError, match="chat_id: Chat ID is @channelname"):
        import_endpoints(data)
    assert not Endpoint.objects.exists()
