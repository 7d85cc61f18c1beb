"""Discord end to end: a rule's OPEN, REPEAT and CANCEL through a real notify worker on
real Redis into the fake Discord webhook, with the details embed and the chart.

Triggers come from the in-process engine stored through the engine worker's store path
(``tests.unit.delivery.factories``). Every wait polls with a timeout.
"""

from __future__ import annotations

import itertools
import re

import pytest
from django.urls import reverse

from devtools.fakes.discord import DiscordFake, Webhook, discord_rate_limited
from devtools.fakes.service import Reply
from notifications.endpoints.trial import TEST_TEXT
from notifications.models import Delivery, DeliveryAttempt
from notifications.screenshots.pool import reset_pool
from tests.engine_helpers import poll
from tests.integration.channel_sends import (
    PNG_SIGNATURE,
    charts_from,
    temperature_history,
    text_binding,
)
from tests.unit.channels.discord.factories import form_data, make_discord
from tests.unit.delivery.factories import (
    RULE,
    SERVER_URL,
    at,
    engine_run,
)

pytestmark = pytest.mark.integration

LINK = f"[{RULE}]({SERVER_URL}/rule/edit.xhtml?name={RULE})"


@pytest.fixture(autouse=True)
def server_settings(settings):
    settings.SERVER_URL = SERVER_URL
    settings.TIME_ZONE = "UTC"
    return settings


@pytest.fixture
def hook(discord_fake: DiscordFake, transactional_db) -> Webhook:
    """A webhook of the fake and a DISCORD endpoint executing it."""
    webhook = discord_fake.add_webhook("alerts")
    make_discord(
        base_url=discord_fake.url,
        params={"webhook_id": webhook.id, "webhook_token": webhook.token, "username": "ATSD"},
    )
    return webhook


def test_open_repeat_cancel_arrive_in_order_with_details_and_chart(
    discord_fake, hook, notify_worker, live_server, settings
):
    charts_from(settings, live_server)
    text_binding("discord", "content", open_details=True, open_screenshot=True)
    temperature_history()
    run = engine_run()
    for i, value in enumerate((55, 60, 20)):  # avg of [55, 60, 20] is 45: CANCEL
        run.series(value, at(0, i))
    poll(lambda: len(discord_fake.messages(hook)) >= 5, timeout=90, what="5 messages")
    reset_pool()

    text, details, chart, *later = discord_fake.messages(hook)
    assert text["content"] == f"[OPEN] {RULE} for br-1905 {{}}. {LINK}"
    assert {m["author"]["username"] for m in discord_fake.messages(hook)} == {"ATSD"}
    [embed] = details["embeds"]
    assert embed["title"] == "Alert Details"
    assert embed["description"].startswith("```")
    assert "br-1905" in embed["description"]
    [(name, png)] = chart["files"].items()
    assert name == f"{RULE}_br-1905_open_Default_20180222_1200000.png"
    assert png[:8] == PNG_SIGNATURE
    assert chart["content"] == "Default for br-1905"
    pattern = re.compile(rf"\[(REPEAT|CANCEL)\] {RULE} for br-1905 \{{\}}\. Duration: \d+s\. ")
    assert [pattern.match(m["content"]).group(1) for m in later] == ["REPEAT", "CANCEL"]

    poll(lambda: Delivery.objects.filter(status="DELIVERED").count() == 3, what="3 delivered")
    ok = DeliveryAttempt.objects.filter(status="OK").order_by("id")
    assert [a.request for a in ok] == [
        "notification",
        "file",
        "image-1",
        "notification",
        "notification",
    ]
    assert [a.message_id for a in ok] == [m["id"] for m in discord_fake.messages(hook)]


def test_rate_limits_and_outages_are_retried_in_order_after_retry_after(
    discord_fake, hook, notify_worker
):
    text_binding("discord", "content")
    discord_fake.script(discord_rate_limited(0.5), times=2)
    discord_fake.script(Reply.status(502, "bad gateway"))
    run = engine_run()
    for i, value in enumerate((55, 60, 20)):
        run.series(value, at(0, i))
    poll(lambda: len(discord_fake.messages(hook)) >= 3, timeout=60, what="3 messages")

    assert [m["content"].split("]")[0] for m in discord_fake.messages(hook)] == [
        "[OPEN", "[REPEAT", "[CANCEL",
    ]  # fmt: skip
    log = discord_fake.log
    assert [r.status for r in log[:4]] == [429, 429, 502, 200]
    for answered, retried in itertools.pairwise(log[:2]):
        assert retried.received_at >= answered.received_at + 0.5  # the body's retry_after
    poll(lambda: Delivery.objects.filter(status="DELIVERED").count() == 3, what="3 delivered")
    codes = [a.response_code for a in DeliveryAttempt.objects.order_by("id")]
    assert codes == [429, 429, 502, 200, 200, 200]
    assert len([r for r in log if r.accepted]) == 3  # nothing sent twice


def test_the_test_button_posts_hello_with_the_pasted_webhook_url(admin_client, discord_fake):
    webhook = discord_fake.add_webhook("alerts")
    data = form_data(base_url=discord_fake.url, webhook_url=webhook.url("https://discord.com"))
    response = admin_client.post(reverse("endpoint-test-new", args=["DISCORD"]), data)
    result = response.json()
    assert result["ok"] is True, result
    assert webhook.token not in response.content.decode()
    assert [m["content"] for m in discord_fake.messages(webhook)] == [TEST_TEXT]
