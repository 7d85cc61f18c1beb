"""The AZURE-SB form: write-only primary key, header lines checked."""

import pytest

from notifications.channels.azure_sb.form import AzureServiceBusEndpointForm
from notifications.models import Endpoint
from tests.unit.channels.cloud_fixture import import_cloud_fixture

pytestmark = pytest.mark.django_db


def _data(**overrides: str) -> dict[str, str]:
    data = {
        "name": "azure-queue",
        "enabled": "true",
        "base_url": "https://shop.servicebus.windows.net/orders/messages",
        "param_servicebusNamespace": "shop",
        "param_destination": "orders",
        "editable_destination": "on",
        "param_keyName": "RootManageSharedAccessKey",
        "param_primaryKey": "",
        "param_message": "${rule}",
        "editable_message": "on",
    }
    return {**data, **overrides}


def test_a_blank_primary_key_keeps_the_stored_one_and_is_never_rendered():
    import_cloud_fixture()
    endpoint = Endpoint.objects.get(name="azure-queue")
    assert "azure-key-77e0" not in AzureServiceBusEndpointForm(instance=endpoint).as_p()
    form = AzureServiceBusEndpointForm(_data(), instance=endpoint)
    assert form.is_valid(), form.errors
    saved = form.save()
    assert saved.parameter("primaryKey") == "azure-key-77e0"
    assert saved.editable_keys() == ["destination", "message"]


def test_a_header_line_without_a_colon_is_refused():
    form = AzureServiceBusEndpointForm(
        _data(param_headers="Broken"), instance=Endpoint(kind="AZURE-SB")
    )
    assert not form.is_valid()
    assert "param_headers" in form.errors
