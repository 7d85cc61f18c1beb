"""AWS SNS and SQS, Azure Service Bus and Google Cloud Pub/Sub end to end: a rule through
OPEN, REPEAT and CANCEL into each service's fake on a real notify worker and real Redis;
each service's rate-limit answer retried, order kept, message ids logged.

Triggers come from the in-process engine stored through the engine worker's store path
(``store_items``, which dispatches in its transaction); nothing sleeps a fixed time.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devtools.fakes.aws import AwsFake, throttled
from devtools.fakes.azure_sb import AzureServiceBusFake, busy
from devtools.fakes.gcp_ps import PubSubFake, exhausted
from notifications.models import Delivery, DeliveryAttempt
from tests.engine_helpers import poll
from tests.unit.channels.aws_common import fake_endpoint
from tests.unit.channels.azure_common import azure_endpoint
from tests.unit.channels.gcp_common import EMAIL, gcp_endpoint
from tests.unit.delivery.factories import RULE, SERVER_URL, at, binding, engine_run

pytestmark = pytest.mark.integration

TEXTS = {"open_params": {"message": "[${status}] ${rule} for ${entity}"},
         "repeat_params": {"message": "[${status}] ${rule} for ${entity} #${repeat_count}"},
         "cancel_params": {"message": "[${status}] ${rule} for ${entity}"}}  # fmt: skip
JSON_TEXT = '{"status": "${status}", "rule": "${rule}", "entity": "${entity}"}'


@pytest.fixture(autouse=True)
def server_settings(settings):
    settings.SERVER_URL = SERVER_URL
    settings.TIME_ZONE = "UTC"
    return settings


@pytest.fixture
def aws_fake() -> Iterator[AwsFake]:
    with AwsFake() as fake:
        yield fake


@pytest.fixture
def azure_fake() -> Iterator[AzureServiceBusFake]:
    with AzureServiceBusFake() as fake:
        yield fake


@pytest.fixture
def pubsub_fake() -> Iterator[PubSubFake]:
    with PubSubFake() as fake:
        yield fake


def _open_repeat_cancel() -> None:
    run = engine_run()
    for i, value in enumerate((55, 60, 20)):  # avg of [55, 60, 20] is 45: CANCEL
        run.series(value, at(0, i))


def test_sns_gets_open_repeat_cancel_in_order_after_throttling(aws_fake, notify_worker):
    _, topic = fake_endpoint(aws_fake, "AWS-SNS")
    binding(endpoint="aws", **TEXTS)
    aws_fake.script(throttled("sns"), times=2)
    _open_repeat_cancel()

    aws_fake.wait_for(lambda log: sum(r.accepted for r in log) >= 3, timeout=30)
    arrivals = aws_fake.messages(topic)
    assert [a.body for a in arrivals] == [
        f"[OPEN] {RULE} for br-1905",
        f"[REPEAT] {RULE} for br-1905 #1",
        f"[CANCEL] {RULE} for br-1905",
    ]
    assert {a.subject for a in arrivals} == {"ATSD"}
    assert [(r.status, r.error) for r in aws_fake.log] == [(400, "Throttling")] * 2 + [
        (200, "")
    ] * 3
    poll(lambda: not Delivery.objects.filter(status__in=["PENDING", "SENDING"]).exists())
    rows = Delivery.objects.order_by("sequence")
    assert [(d.trigger, d.status, d.attempts) for d in rows] == [
        ("OPEN", "DELIVERED", 3), ("REPEAT", "DELIVERED", 1), ("CANCEL", "DELIVERED", 1),
    ]  # fmt: skip
    log = DeliveryAttempt.objects.order_by("id")
    assert [(a.endpoint_kind, a.response_code, a.status) for a in log] == (
        [("aws-sns", 400, "RETRY")] * 2 + [("aws-sns", 200, "OK")] * 3
    )
    assert [a.message_id for a in log if a.status == "OK"] == [a.message_id for a in arrivals]


def test_sqs_gets_open_repeat_cancel_in_order(aws_fake, notify_worker):
    _, queue = fake_endpoint(aws_fake, "AWS-SQS")
    binding(endpoint="aws", **TEXTS)
    _open_repeat_cancel()

    aws_fake.wait_for(lambda log: sum(r.accepted for r in log) >= 3, timeout=30)
    assert [a.body.split("]")[0] for a in aws_fake.messages(queue)] == [
        "[OPEN", "[REPEAT", "[CANCEL",
    ]  # fmt: skip
    poll(lambda: Delivery.objects.filter(status="DELIVERED").count() == 3, what="3 delivered")
    assert len(aws_fake.log) == 3


def test_service_bus_gets_open_repeat_cancel_in_order_after_a_429(azure_fake, notify_worker):
    azure_endpoint(azure_fake)
    params = {"message": JSON_TEXT}
    binding(endpoint="azure", open_params=params, repeat_params=params, cancel_params=params)
    azure_fake.script(busy(retry_after_s=1))
    _open_repeat_cancel()

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


def test_pubsub_gets_open_repeat_cancel_in_order_after_quota_exhaustion(pubsub_fake, notify_worker):
    gcp_endpoint(pubsub_fake)
    params = {"message": "[${status}] ${rule} for ${entity}"}
    binding(endpoint="gcp", open_params=params, repeat_params=params, cancel_params=params)
    pubsub_fake.script(exhausted())
    _open_repeat_cancel()

    pubsub_fake.wait_for(lambda log: sum(r.accepted for r in log) >= 3, timeout=30)
    published = pubsub_fake.messages("shop-prod", "orders")
    assert [p.data for p in published] == [
        f"[{status}] {RULE} for br-1905" for status in ("OPEN", "REPEAT", "CANCEL")
    ]
    assert {p.attributes["severity"] for p in published} == {"WARNING"}
    assert [(r.status, r.signer) for r in pubsub_fake.log] == [(429, EMAIL)] + [(200, EMAIL)] * 3
    poll(lambda: Delivery.objects.filter(status="DELIVERED").count() == 3, what="3 delivered")
    attempts = DeliveryAttempt.objects.order_by("id")
    assert [(a.response_code, a.status) for a in attempts] == [
        (429, "RETRY"), (200, "OK"), (200, "OK"), (200, "OK"),
    ]  # fmt: skip
    assert [a.message_id for a in attempts if a.status == "OK"] == [p.message_id for p in published]
