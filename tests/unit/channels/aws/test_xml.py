"""AWS API endpoints in ``*-notification.xml``: ATSD's ``AwsApiNotificationConfig`` read
and written back field for field (spec §2.6)."""

import pytest
from lxml import etree

from notifications.endpoints.xml import EndpointImportError, export_endpoints, import_endpoints
from notifications.models import Endpoint
from tests.unit.channels.cloud_fixture import (
    SECRETS,
    assert_round_trip_restores_every_value,
    exported_element,
    fixture_element,
    import_cloud_fixture,
)

pytestmark = pytest.mark.django_db


def test_aws_api_fields_become_parameters_and_exposed_body_parameters_editable_keys():
    import_cloud_fixture()
    endpoint = Endpoint.objects.get(name="aws-queue")
    assert endpoint.kind == "AWS-API"
    assert endpoint.base_url == "https://sqs.eu-west-1.amazonaws.com"
    values = endpoint.parameter_values()
    assert values["action"] == "SendMessage"
    assert values["accessKeyId"] == "AKIDEXAMPLE"
    assert values["secretAccessKey"] == "aws-secret-4c1d"
    assert values["headers"] == "X-Team: ops\nX-Env: test"
    assert values["body"].startswith("Action=SendMessage&MessageBody=")
    # MessageBody is a parameter of the body: empty = the body's own value.
    assert values["MessageBody"] == ""
    assert endpoint.editable_keys() == ["MessageBody"]


def test_aws_api_export_writes_the_element_as_it_came_with_the_secret_only_when_asked():
    import_cloud_fixture()
    original = fixture_element("aws-queue")
    exported = exported_element("aws-queue", include_secrets=True)
    assert exported.tag == original.tag
    leaves = [c.tag for c in exported if len(c) == 0]
    assert leaves == [c.tag for c in original if len(c) == 0]
    for tag in leaves:
        assert exported.findtext(tag) == original.findtext(tag).replace("\r\n", "\n"), tag
    entries = exported.find("parameters").findall("entry")
    assert [[s.text for s in e.findall("string")] for e in entries] == [["action", "SendMessage"]]
    assert [s.text for s in exported.find("exposedTableModelParams").findall("string")] == [
        "MessageBody"
    ]
    assert exported_element("aws-queue").findtext("secretAccessKey") == ""
    assert not any(s in export_endpoints(Endpoint.objects.all()) for s in SECRETS)


def test_aws_api_round_trip_restores_every_value():
    import_cloud_fixture()
    assert_round_trip_restores_every_value("aws-queue")


def test_an_export_without_secrets_keeps_the_stored_secret_access_key():
    import_cloud_fixture()
    import_endpoints(export_endpoints(Endpoint.objects.filter(name="aws-queue")))
    assert Endpoint.objects.get(name="aws-queue").parameter("secretAccessKey") == "aws-secret-4c1d"


def test_a_tree_map_key_named_like_an_element_field_is_refused():
    element = fixture_element("aws-queue")
    entry = etree.SubElement(element.find("parameters"), "entry")
    etree.SubElement(entry, "string").text = "body"
    etree.SubElement(entry, "string").text = "x"
    root = etree.Element("list")
    root.append(element)
    with pytest.raises(EndpointImportError, match="'body' is also a field"):
        import_endpoints(etree.tostring(root))
    assert not Endpoint.objects.exists()
