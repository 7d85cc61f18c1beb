"""GCP-PS endpoints in ``*-notification.xml``: ATSD's ``GcpPubSubWebNotificationConfig``
read and written back (spec §2.6)."""

import pytest

from notifications.models import Endpoint
from tests.unit.channels.cloud_fixture import (
    assert_round_trip_restores_every_value,
    exported_element,
    fixture_element,
    import_cloud_fixture,
)
from tests.unit.channels.gcp_common import service_account

pytestmark = pytest.mark.django_db


def test_the_tree_map_becomes_parameters_topic_and_message_editable():
    import_cloud_fixture()
    endpoint = Endpoint.objects.get(name="gcp-topic")
    assert (
        endpoint.base_url
        == "https://pubsub.googleapis.com/v1/projects/shop-prod/topics/orders:publish"
    )
    assert [p["key"] for p in endpoint.parameters] == [
        "projectId", "topic", "serviceAccount", "privateKeyAlias", "serviceAccountKey", "message",
    ]  # fmt: skip
    # ATSD keeps the key in its key store; ours is typed in on the form.
    assert endpoint.parameter("serviceAccountKey") == ""
    assert endpoint.editable_keys() == ["topic", "message"]


def test_the_export_writes_the_element_as_it_came():
    import_cloud_fixture()
    original, exported = fixture_element("gcp-topic"), exported_element("gcp-topic")
    assert [c.tag for c in exported] == ["enabled", "logResponse", "name", "description",
                                         "parameters", "url"]  # fmt: skip

    def entries(element):
        return [[s.text for s in e.findall("string")] for e in element.find("parameters")
                if e.tag == "entry"]  # fmt: skip

    assert entries(exported) == entries(original)
    assert exported.findtext("url") == original.findtext("url")


def test_round_trip_restores_every_value():
    import_cloud_fixture()
    assert_round_trip_restores_every_value("gcp-topic")


def test_the_service_account_key_is_exported_only_when_asked_and_read_back():
    import_cloud_fixture()
    endpoint = Endpoint.objects.get(name="gcp-topic")
    values = endpoint.parameter_values()
    key_file = service_account().key_file
    endpoint.set_parameters(
        (k, key_file if k == "serviceAccountKey" else v, k in ("topic", "message"))
        for k, v in values.items()
    )
    endpoint.save()

    def keys(element):
        return [e.findtext("string") for e in element.find("parameters").findall("entry")]

    assert "serviceAccountKey" not in keys(exported_element("gcp-topic"))
    assert "serviceAccountKey" in keys(exported_element("gcp-topic", include_secrets=True))
    assert_round_trip_restores_every_value("gcp-topic")
    assert Endpoint.objects.get(name="gcp-topic").parameter("serviceAccountKey") == key_file
