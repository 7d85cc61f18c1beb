"""Endpoint export files (spec §2.6): what is imported, what is reported, what is refused."""

from pathlib import Path

import pytest
from django.test import override_settings

from notifications.endpoints.xml import EndpointImportError, import_endpoints
from notifications.models import Endpoint

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "endpoints"


def _read(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_unsupported_classes_are_reported_by_name_and_not_imported():
    report = import_endpoints(_read("mixed-notification.xml"))
    outcomes = [(i.name, i.class_name, i.kind, i.outcome) for i in report.items]
    assert outcomes == [
        ("hc-2017", "WebNotificationConfig", "HIPCHAT", "created"),
        ("custom-hook", "WebNotificationConfig", "CUSTOM", "created"),
        ("slack-ops", "WebNotificationConfig", "SLACK", "created"),
        ("aws-test", "AwsApiNotificationConfig", "AWS-API", "created"),
        ("pager", "PagerConfig", "", "unsupported"),
    ]
    assert "unknown class PagerConfig" in report.items[-1].reason
    assert report.items[3].reason == "stored, not sent"
    assert list(Endpoint.objects.order_by("id").values_list("name", flat=True)) == [
        "hc-2017", "custom-hook", "slack-ops", "aws-test",
    ]  # fmt: skip
    imported = Endpoint.objects.get(name="hc-2017")
    assert imported.enabled is False
    assert imported.parameter("notification_token") == "imported-notif-token"


def test_one_invalid_supported_endpoint_rejects_the_whole_file():
    with pytest.raises(EndpointImportError) as caught:
        import_endpoints(_read("invalid-hipchat-notification.xml"))
    text = str(caught.value)
    assert "'bad-one'" in text
    assert "from" in text
    assert "base_url" in text
    assert not Endpoint.objects.exists()


@pytest.mark.parametrize(
    ("name", "reason"),
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
