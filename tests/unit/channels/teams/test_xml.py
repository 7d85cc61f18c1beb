"""TEAMS endpoints in ``*-notification.xml``: the signed URL is a secret."""

import pytest
from lxml import etree

from notifications.endpoints.xml import export_endpoints, import_endpoints
from notifications.models import Endpoint
from tests.unit.channels.teams.factories import WEBHOOK_URL, make_teams

pytestmark = pytest.mark.django_db


def test_export_writes_type_teams_without_the_url():
    make_teams()
    data = export_endpoints(Endpoint.objects.all())
    [element] = etree.fromstring(data)
    assert element.findtext("type") == "TEAMS"
    assert b"secret-signature" not in data


def test_round_trip_with_secrets_restores_the_url_on_an_empty_server():
    before = make_teams().parameters
    data = export_endpoints(Endpoint.objects.all(), include_secrets=True)
    Endpoint.objects.all().delete()
    import_endpoints(data)
    assert Endpoint.objects.get(name="teams").parameters == before


def test_round_trip_without_secrets_keeps_the_stored_url():
    make_teams()
    import_endpoints(export_endpoints(Endpoint.objects.all()))
    assert Endpoint.objects.get(name="teams").parameter("webhook_url") == WEBHOOK_URL
