"""Azure Service Bus endpoints for tests: values, and a saved endpoint at the fake."""

from __future__ import annotations

from devtools.fakes.azure_sb import AzureServiceBusFake
from notifications.models import Endpoint

KEY_NAME, KEY = "RootManageSharedAccessKey", "azure-key-5b2a"


def azure_values(**extra: str) -> dict[str, str]:
    return {"servicebusNamespace": "shop", "destination": "alert-queue",
            "pathParameters": "timeout=60", "keyName": KEY_NAME, "primaryKey": KEY,
            "headers": "", "message": "", **extra}  # fmt: skip


def azure_endpoint(fake: AzureServiceBusFake, *, name: str = "azure") -> Endpoint:
    """An endpoint whose URL is the fake's, ATSD-style (the entity's full messages URL)."""
    fake.add_key(KEY_NAME, KEY)
    fake.add_entity("alert-queue")
    endpoint = Endpoint(name=name, kind="AZURE-SB", base_url=f"{fake.url}/alert-queue/messages")
    endpoint.set_parameters(
        (k, v, k in ("destination", "message")) for k, v in azure_values().items()
    )
    endpoint.full_clean()
    endpoint.save()
    return endpoint
