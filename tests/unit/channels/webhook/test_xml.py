"""WEBHOOK endpoints in ``*-notification.xml``: our shape, the secret only when asked,
and the round trip to the same endpoint."""

import pytest
from lxml import etree

from notifications.endpoints.xml import export_endpoints, import_endpoints
from notifications.models import Endpoint
from tests.unit.channels.webhook.factories import SECRET, make_webhook

pytestmark = pytest.mark.django_db


def test_export_writes_type_url_and_an_empty_secret():
    make_webhook()
    data = export_endpoints(Endpoint.objects.all())
    [element] = etree.fromstring(data)
    assert element.findtext("type") == "WEBHOOK"
    assert element.findtext("baseUrl") == "https://hooks.example.org/atsd"
    assert SECRET.encode() not in data


def test_round_trip_with_secrets_restores_the_endpoint():
    before = make_webhook().parameters
    data = export_endpoints(Endpoint.objects.all(), include_secrets=True)
    Endpoint.objects.all().delete()
    report = import_endpoints(data)
    assert [(i.name, i.kind, i.outcome) for i in report.items] == [("hook", "WEBHOOK", "created")]
    endpoint = Endpoint.objects.get(name="hook")
    assert endpoint.parameters == before
    assert endpoint.base_url == "https://hooks.example.org/atsd"


def test_import_without_the_secret_keeps_the_stored_one():
    make_webhook()
    import_endpoints(export_endpoints(Endpoint.objects.all()))
    assert Endpoint.objects.get(name="hook").parameter("secret") == SECRET
