"""Our own AWS, Azure and GCP endpoint export (ATSD's shape, secrets filled in), and the
endpoint fields a round trip must keep."""

from pathlib import Path

from lxml import etree

from notifications.endpoints.xml import export_endpoints, import_endpoints
from notifications.models import Endpoint

CLOUD_FIXTURE = (
    Path(__file__).resolve().parents[2] / "fixtures" / "endpoints" / "cloud-notification.xml"
)
SECRETS = (b"aws-secret-4c1d", b"azure-key-77e0")
FIELDS = (
    "name", "kind", "enabled", "description", "base_url", "proxy_url", "proxy_username",
    "proxy_password", "ignore_ssl_errors", "ca_bundle", "log_response", "test_portal",
    "parameters",
)  # fmt: skip


def import_cloud_fixture() -> None:
    import_endpoints(CLOUD_FIXTURE.read_bytes())


def snapshot(endpoint: Endpoint) -> dict:
    return {f: getattr(endpoint, f) for f in FIELDS}


def exported_element(name: str, *, include_secrets: bool = False) -> etree._Element:
    """The element that the export writes for endpoint ``name``."""
    data = export_endpoints(Endpoint.objects.filter(name=name), include_secrets=include_secrets)
    [element] = etree.fromstring(data)
    return element


def fixture_element(name: str) -> etree._Element:
    root = etree.fromstring(CLOUD_FIXTURE.read_bytes())
    return next(e for e in root if e.findtext("name") == name)


def assert_round_trip_restores_every_value(name: str) -> None:
    """Export with secrets, delete, import: the endpoint comes back unchanged."""
    before = snapshot(Endpoint.objects.get(name=name))
    data = export_endpoints(Endpoint.objects.filter(name=name), include_secrets=True)
    Endpoint.objects.all().delete()
    report = import_endpoints(data)
    reason = "" if Endpoint.objects.get(name=name).kind_info.sendable else "stored, not sent"
    assert [(i.name, i.outcome, i.reason) for i in report.items] == [(name, "created", reason)]
    assert snapshot(Endpoint.objects.get(name=name)) == before
