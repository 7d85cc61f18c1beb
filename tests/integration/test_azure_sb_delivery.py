"""Azure Service Bus end to end: a rule through OPEN, REPEAT and CANCEL into the fake
Service Bus on a real notify worker and real Redis; a 429 with Retry-After waited for,
order kept. Nothing sleeps a fixed time."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devtools.fakes.azure_sb import AzureServiceBusFake, Reply
from notifications.models import Delivery, DeliveryAttempt
from tests.engine_helpers import poll
from tests.unit.channels.azure_common import azure_endpoint
from tests.unit.delivery.factories import RULE, SERVER_URL, at, binding, engine_run

pytestmark = pytest.mark.integration

TEXT = '{"status": "${status}", "rule": "${rule}", "entity": "${entity}"}'


@pytest.fixture(autouse=True)
def server_settings(settings):
    settings.SERVER_URL = SERVER_URL
    settings.TIME_ZONE = "UTC"
    return settings


@pytest.fixture
def azure_fake() -> Iterator[AzureServiceBusFake]:
    with AzureServiceBusFake() as fake:
        yield fake


def test_service_bus_gets_open_repeat_cancel_in_order_after_a_429(azure_fake, notify_worker):
    azure_endpoint(azure_fake)
    params = {"message": TEXT}
    binding(endpoint="azure", open_params=params, repeat_params=params, cancel_params=params)
    azure_fake.script(Reply.busy(retry_after_s=1))
    run = engine_run()
    for i, value in enumerate((55, 60, 20)):  # avg of [55, 60, 20] is 45: CANCEL
        run.series(value, at(0, i))

    azure_fake.wait_for(lambda log: sum(r.accepted for r in log) >= 3, timeout=30)
    bodies = [m.body.decode() for m in azure_fake.messages("alert-queue")]
    assert bodies == [
        f'{{"status": "{status}", "rule": "{RULE}", "entity": "br-1905"}}'
        for status in ("OPEN", "REPEAT", "CANCEL")
    ]
    log = azure_fake.log
    assert [r.status for r in log] == [429, 201, 201, 201]
    assert log[1].received_at >= log[0].received_at + 1.0  # Retry-After honoured
    poll(lambda: Delivery.objects.filter(status="DELIVERED").count() == 3, what="3 delivered")
    attempts = DeliveryAttempt.objects.order_by("id")
    assert [(a.response_code, a.status) for a in attempts] == [
        (429, "RETRY"), (201, "OK"), (201, "OK"), (201, "OK"),
    ]  # fmt: skip
