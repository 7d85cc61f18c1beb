"""Webhook end to end: a rule's OPEN, REPEAT and CANCEL through a real notify worker on
real Redis into the fake receiver: every window field, signed, in order, with a 429
waited out on the way."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator

import pytest

from devtools.fakes.webhook import WebhookReceiver, running_webhook
from notifications.models import Delivery, DeliveryAttempt
from tests.engine_helpers import poll
from tests.unit.channels.webhook.factories import SECRET, make_webhook
from tests.unit.delivery.factories import RULE, SERVER_URL, at, binding, engine_run

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def server_settings(settings):
    settings.SERVER_URL = SERVER_URL
    settings.TIME_ZONE = "UTC"


@pytest.fixture
def hook() -> Iterator[WebhookReceiver]:
    with running_webhook(secret=SECRET) as receiver:
        yield receiver


def test_open_repeat_cancel_arrive_signed_in_order_with_every_window_field(hook, notify_worker):
    make_webhook(hook.hook_url)
    binding(endpoint="hook", open_params={}, repeat_params={}, cancel_params={})
    hook.script(WebhookReceiver.rate_limited(retry_after=1))
    run = engine_run()
    for i, value in enumerate((55, 60, 20)):  # OPEN, REPEAT, then avg 45: CANCEL
        run.series(value, at(0, i))

    poll(lambda: Delivery.objects.filter(status="DELIVERED").count() == 3, timeout=60)
    received = hook.received()
    assert [r.json["status"] for r in received] == ["OPEN", "REPEAT", "CANCEL"]
    opened, repeated, cancelled = (r.json for r in received)
    assert opened["rule"] == RULE
    assert opened["entity"]["id"] == "br-1905"
    assert opened["alert_duration"] == "00:00:00:00"
    assert [r.json["repeat_count"] for r in received] == [0, 1, 1]
    assert cancelled["value"] == 20
    assert cancelled["ruleLink"] == f"{SERVER_URL}/rule/edit.xhtml?name={RULE}"
    assert repeated["open_value"] == 55
    for request in received:
        digest = hmac.new(SECRET.encode(), request.body, hashlib.sha1).hexdigest()
        assert request.header("x-axi-signature") == f"sha1={digest}"

    log = hook.log
    assert log[0].status == 429
    assert log[1].received_at - log[0].received_at >= 1.0  # Retry-After honoured
    assert [d.attempts for d in Delivery.objects.order_by("sequence")] == [2, 1, 1]
    codes = list(DeliveryAttempt.objects.order_by("id").values_list("response_code", "status"))
    assert codes == [(429, "RETRY"), (200, "OK"), (200, "OK"), (200, "OK")]
