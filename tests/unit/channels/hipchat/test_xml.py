"""HIPCHAT endpoints in ``*-notification.xml``: the element written, read back and
imported in the form's order (spec §2.6)."""

from pathlib import Path

import pytest
from lxml import etree

from notifications.endpoints.xml import export_endpoints, import_endpoints
from notifications.models import Endpoint
from tests.unit.channels.hipchat.factories import make_hipchat

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "endpoints"
CLASS = "com.axibase.tsd.model.notifications.WebNotificationConfig"


def _secret_endpoint() -> Endpoint:
    return make_hipchat(
        "hc",
        base_url="https://hipchat.example.org",
        proxy_url="http://proxy:3128",
        proxy_username="u",
        proxy_password="proxy-pw-1",
        params={"notification_token": "notif-tok-1", "message_token": "msg-tok-1"},
        description="line 1\nline 2",
    )


def test_export_writes_the_atsd_shape_with_type_tree_map_and_sorted_set():
    _secret_endpoint()
    root = etree.fromstring(export_endpoints(Endpoint.objects.all()))
    assert root.tag == "list"
    [element] = root
    assert element.tag == CLASS
    assert element.findtext("type") == "HIPCHAT"
    assert element.findtext("name") == "hc"
    assert element.findtext("baseUrl") == "https://hipchat.example.org"
    assert element.findtext("proxyUrl") == "http://proxy:3128"
    assert element.find("parameters").get("class") == "tree-map"
    keys = [e.findall("string")[0].text for e in element.find("parameters").findall("entry")]
    assert keys == sorted(keys, key=str.lower)
    exposed = element.find("exposedTableModelParams")
    assert exposed.get("class") == "sorted-set"
    assert [s.text for s in exposed.findall("string")] == ["message", "room"]


def test_export_leaves_secrets_empty_by_default():
    _secret_endpoint()
    data = export_endpoints(Endpoint.objects.all())
    for secret in (b"notif-tok-1", b"msg-tok-1", b"proxy-pw-1"):
        assert secret not in data
    assert b"<proxyPassword></proxyPassword>" in data or b"<proxyPassword/>" in data


def test_export_includes_secrets_only_when_asked():
    _secret_endpoint()
    data = export_endpoints(Endpoint.objects.all(), include_secrets=True)
    for secret in (b"notif-tok-1", b"msg-tok-1", b"proxy-pw-1"):
        assert secret in data


def _snapshot(endpoint: Endpoint) -> dict:
    fields = [
        "name",
        "kind",
        "enabled",
        "description",
        "base_url",
        "proxy_url",
        "proxy_username",
        "proxy_password",
        "ignore_ssl_errors",
        "ca_bundle",
        "log_response",
        "test_portal",
        "parameters",
    ]
    return {f: getattr(endpoint, f) for f in fields}


def test_round_trip_with_secrets_restores_every_value_on_an_empty_server():
    before = _snapshot(_secret_endpoint())
    data = export_endpoints(Endpoint.objects.all(), include_secrets=True)
    Endpoint.objects.all().delete()
    report = import_endpoints(data)
    assert [(i.name, i.outcome) for i in report.items] == [("hc", "created")]
    assert _snapshot(Endpoint.objects.get(name="hc")) == before


def test_round_trip_without_secrets_keeps_the_stored_secrets_of_existing_endpoints():
    before = _snapshot(_secret_endpoint())
    data = export_endpoints(Endpoint.objects.all())
    report = import_endpoints(data)
    assert [(i.name, i.outcome) for i in report.items] == [("hc", "updated")]
    assert _snapshot(Endpoint.objects.get(name="hc")) == before


def test_round_trip_without_secrets_on_a_new_server_imports_with_empty_tokens():
    _secret_endpoint()
    data = export_endpoints(Endpoint.objects.all())
    Endpoint.objects.all().delete()
    import_endpoints(data)
    endpoint = Endpoint.objects.get(name="hc")
    assert endpoint.parameter("notification_token") == ""
    assert endpoint.proxy_password == ""
    assert endpoint.parameter("room") == "Ops Alerts"


def test_our_fixture_imports_in_form_order_with_editable_keys():
    report = import_endpoints((FIXTURES / "hipchat-notification.xml").read_bytes())
    assert [(i.name, i.kind, i.outcome) for i in report.items] == [
        ("hipchat-ops", "HIPCHAT", "created")
    ]
    endpoint = Endpoint.objects.get(name="hipchat-ops")
    assert [p["key"] for p in endpoint.parameters][:2] == ["room", "auth_token"]
    assert endpoint.editable_keys() == ["room", "message"]
    assert endpoint.parameter("message_format") == "html"
    assert endpoint.proxy_url == "socks5://proxy.example.org:1080"
