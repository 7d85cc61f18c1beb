"""AZURE-SB endpoints in ``*-notification.xml``: ATSD's
``AzureServiceBusWebNotificationConfig`` read and written back (spec §2.6)."""

import pytest

from notifications.models import Endpoint
from tests.unit.channels.cloud_fixture import (
    assert_round_trip_restores_every_value,
    exported_element,
    import_cloud_fixture,
)

pytestmark = pytest.mark.django_db


def test_the_tree_map_and_the_sas_key_become_parameters_destination_and_message_editable():
    import_cloud_fixture()
    endpoint = Endpoint.objects.get(name="azure-queue")
    assert (endpoint.kind, endpoint.enabled, endpoint.log_response) == ("AZURE-SB", False, True)
    assert endpoint.base_url == "https://shop.servicebus.windows.net/orders/messages"
    assert endpoint.parameter("keyName") == "RootManageSharedAccessKey"
    assert endpoint.parameter("primaryKey") == "azure-key-77e0"
    assert endpoint.editable_keys() == ["destination", "message"]


def test_the_export_has_no_exposed_set_and_the_primary_key_only_when_asked():
    import_cloud_fixture()
    element = exported_element("azure-queue")
    assert element.findtext("primaryKey") == ""
    assert element.find("exposedTableModelParams") is None
    keys = [e.findtext("string") for e in element.find("parameters").findall("entry")]
    assert keys == ["destination", "message", "pathParameters", "servicebusNamespace"]
    assert exported_element("azure-queue", include_secrets=True).findtext("primaryKey") == (
        "azure-key-77e0"
    )


def test_round_trip_restores_every_value():
    import_cloud_fixture()
    assert_round_trip_restores_every_value("azure-queue")
