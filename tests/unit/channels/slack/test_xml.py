"""SLACK endpoints in ``*-notification.xml``: written, read back and imported in the
form's order, the token only when asked for (spec §2.6)."""

from pathlib import Path

import pytest
from lxml import etree

from notifications.channels.slack.form import SlackEndpointForm
from notifications.endpoints.xml import export_endpoints, import_endpoints
from notifications.models import Endpoint
from tests.unit.channels.slack.factories import TOKEN, make_slack

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "endpoints"


def test_export_writes_the_common_shape_with_type_slack_and_no_token():
    make_slack(base_url="https://gateway.example.org/slack")
    data = export_endpoints(Endpoint.objects.all())
    [element] = etree.fromstring(data)
    assert element.tag == "com.axibase.tsd.model.notifications.WebNotificationConfig"
    assert element.findtext("type") == "SLACK"
    assert element.findtext("baseUrl") == "https://gateway.example.org/slack"
    exposed = element.find("exposedTableModelParams")
    assert [s.text for s in exposed.findall("string")] == ["channels", "text"]
    assert TOKEN.encode() not in data


def test_export_includes_the_token_only_when_asked():
    make_slack()
    assert TOKEN.encode() in export_endpoints(Endpoint.objects.all(), include_secrets=True)


def test_round_trip_without_secrets_keeps_the_stored_token():
    before = make_slack(params={"channels": "alerts,C0123ABCD", "username": "ATSD"})
    import_endpoints(export_endpoints(Endpoint.objects.all()))
    after = Endpoint.objects.get(name="slack")
    assert after.parameters == before.parameters
    assert after.parameter("token") == TOKEN


def test_our_fixture_imports_in_form_order_with_editable_keys():
    report = import_endpoints((FIXTURES / "slack-notification.xml").read_bytes())
    assert [(i.name, i.kind, i.outcome) for i in report.items] == [
        ("slack-ops", "SLACK", "created")
    ]
    endpoint = Endpoint.objects.get(name="slack-ops")
    assert [p["key"] for p in endpoint.parameters] == list(SlackEndpointForm.parameter_keys())
    assert endpoint.editable_keys() == ["channels", "text"]
    assert endpoint.parameter("parse") == "full"
    assert endpoint.parameter("token") == ""
