"""Endpoint XML export and import (spec §2.6) on our own fixture files."""

from pathlib import Path

import pytest
from django.test import override_settings
from lxml import etree

from notifications.endpoints.xmlio import (
    EndpointImportError,
    export_endpoints,
    import_endpoints,
)
from notifications.models import Endpoint
from tests.unit.endpoints.factories import make_hipchat

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "endpoints"
CLASS = "com.axibase.tsd.model.notifications.WebNotificationConfig"


def _read(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


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
    report = import_endpoints(_read("hipchat-notification.xml"))
    assert [(i.name, i.kind, i.outcome) for i in report.items] == [
        ("hipchat-ops", "HIPCHAT", "created")
    ]
    endpoint = Endpoint.objects.get(name="hipchat-ops")
    assert [p["key"] for p in endpoint.parameters][:2] == ["room", "auth_token"]
    assert endpoint.editable_keys() == ["room", "message"]
    assert endpoint.parameter("message_format") == "html"
    assert endpoint.proxy_url == "socks5://proxy.example.org:1080"


def test_unsupported_classes_and_kinds_are_reported_by_name_and_not_imported():
    report = import_endpoints(_read("mixed-notification.xml"))
    outcomes = [(i.name, i.class_name, i.kind, i.outcome) for i in report.items]
    assert outcomes == [
        ("hc-2017", "WebNotificationConfig", "HIPCHAT", "created"),
        ("custom-hook", "WebNotificationConfig", "CUSTOM", "unsupported"),
        ("slack-ops", "WebNotificationConfig", "SLACK", "unsupported"),
        ("aws-test", "AwsApiNotificationConfig", "AWS-API", "unsupported"),
        ("pager", "PagerConfig", "", "unsupported"),
    ]
    assert "unknown class PagerConfig" in report.items[-1].reason
    assert list(Endpoint.objects.values_list("name", flat=True)) == ["hc-2017"]
    imported = Endpoint.objects.get()
    assert imported.enabled is False
    assert imported.parameter("notification_token") == "imported-notif-token"


def test_one_invalid_supported_endpoint_rejects_the_whole_file():
    with pytest.raises(EndpointImportError) as caught:
        import_endpoints(_read("invalid-hipchat-notification.xml"))
    text = str(caught.value)
    assert "'bad-one'" in text
    assert "from" in text and "base_url" in text
    assert not Endpoint.objects.exists()


@pytest.mark.parametrize(
    "name,reason",
    [
        ("entity-bomb-notification.xml", "entit"),
        ("external-entity-notification.xml", "external"),
    ],
)
def test_doctypes_and_entities_are_refused(name, reason):
    with pytest.raises(EndpointImportError) as caught:
        import_endpoints(_read(name))
    assert reason in str(caught.value)
    assert not Endpoint.objects.exists()


def test_a_rules_file_is_refused_with_the_root_named():
    with pytest.raises(EndpointImportError, match="<rules>"):
        import_endpoints(b"<rules><rule><name>x</name></rule></rules>")


def test_not_xml_is_refused():
    with pytest.raises(EndpointImportError, match="not well-formed"):
        import_endpoints(b"<list><oops></list>")


@override_settings(ENDPOINT_IMPORT_MAX_BYTES=100)
def test_files_over_the_size_limit_are_refused_before_parsing():
    with pytest.raises(EndpointImportError, match="larger than"):
        import_endpoints(_read("hipchat-notification.xml"))
