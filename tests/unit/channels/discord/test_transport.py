"""DiscordTransport against the fake Discord webhook service on loopback (real HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from devtools.fakes.discord import DiscordFake, Webhook, discord_rate_limited
from devtools.fakes.service import Reply
from notifications.channels.base import Attachment, HistoryUnavailable, TransportError
from notifications.channels.discord.transport import DiscordTransport, split_webhook_url
from notifications.channels.http import HttpSettings
from tests.unit.channels.factories import tiny_png

NET = HttpSettings(connect_timeout_s=2, read_timeout_s=5)


@pytest.fixture
def hook(discord_fake: DiscordFake) -> Webhook:
    return discord_fake.add_webhook("alerts")


def transport(fake: DiscordFake, hook: Webhook, **parameters: str) -> DiscordTransport:
    values = {"webhook_id": hook.id, "webhook_token": hook.token, **parameters}
    return DiscordTransport.configure(values, base_url=fake.url, http=NET)


def test_a_text_is_the_content_and_the_message_id_is_kept(discord_fake, hook) -> None:
    sent = transport(discord_fake, hook, username="ATSD").send_text("CPU > 90% [rule](https://x)")
    [request] = discord_fake.log
    assert request.path == f"/api/webhooks/{hook.id}/{hook.token}"
    assert request.query == {"wait": "true"}
    assert request.json == {"content": "CPU > 90% [rule](https://x)", "username": "ATSD"}
    [message] = discord_fake.messages(hook)
    assert (sent.status, sent.message_id) == (200, message["id"])


def test_a_long_text_is_cut_visibly_to_2000(discord_fake, hook) -> None:
    transport(discord_fake, hook).send_text("y" * 2_500)
    [message] = discord_fake.messages(hook)
    assert len(message["content"]) == 2_000
    assert message["content"].endswith("...")


def test_details_are_an_alert_details_embed_in_a_code_block(discord_fake, hook) -> None:
    table = "entity  | value\nbr-1905 | 55"
    transport(discord_fake, hook).send_file(Attachment("d.txt", table.encode(), "text/plain"))
    [message] = discord_fake.messages(hook)
    assert message["content"] == "d.txt"
    assert message["embeds"] == [{"title": "Alert Details", "description": f"```{table}```"}]


def test_a_chart_is_a_multipart_file_with_its_caption(discord_fake, hook) -> None:
    png = tiny_png()
    chart = Attachment("chart.png", png, "image/png", "Default for br-1905")
    sent = transport(discord_fake, hook, username="ATSD").send_file(chart)
    [request] = discord_fake.log
    assert request.content_type == "multipart/form-data"
    [part] = request.files
    assert (part.name, part.filename, part.content_type) == ("files[0]", "chart.png", "image/png")
    [message] = discord_fake.messages(hook)
    assert message["content"] == "Default for br-1905"
    assert message["author"]["username"] == "ATSD"
    assert message["files"] == {"chart.png": png}
    assert message["attachments"][0]["filename"] == "chart.png"
    assert sent.message_id == message["id"]


def test_a_429_waits_the_bodys_retry_after(discord_fake, hook) -> None:
    discord_fake.script(discord_rate_limited(2.5))
    with pytest.raises(TransportError) as caught:
        transport(discord_fake, hook).send_text("hello")
    assert (caught.value.permanent, caught.value.status) == (False, 429)
    assert caught.value.retry_after_s == 3.0  # Retry-After rounds the body's 2.5 up


def test_a_429_without_header_uses_the_body(discord_fake, hook) -> None:
    body = {"message": "You are being rate limited.", "retry_after": 0.75, "global": False}
    discord_fake.script(Reply.status(429, body))
    with pytest.raises(TransportError) as caught:
        transport(discord_fake, hook).send_text("hello")
    assert caught.value.retry_after_s == 0.75


def test_a_wrong_token_is_permanent_with_discords_text_and_no_token(discord_fake, hook) -> None:
    wrong = DiscordTransport.configure(
        {"webhook_id": hook.id, "webhook_token": "not-the-token"}, base_url=discord_fake.url,
        http=NET,
    )  # fmt: skip
    with pytest.raises(TransportError) as caught:
        wrong.send_text("hello")
    assert caught.value.permanent
    assert caught.value.message == "Discord error: HTTP 401: Invalid Webhook Token (code 50027)"
    assert "not-the-token" not in caught.value.message


def test_an_invalid_form_body_names_the_field(discord_fake, hook) -> None:
    with pytest.raises(TransportError) as caught:
        transport(discord_fake, hook, username="Discord Alerts").send_text("hello")
    assert caught.value.permanent
    assert "Invalid Form Body (code 50035); username: " in caught.value.message


def test_a_5xx_is_transient(discord_fake, hook) -> None:
    discord_fake.script(Reply.status(502, "bad gateway"))
    with pytest.raises(TransportError) as caught:
        transport(discord_fake, hook).send_text("hello")
    assert not caught.value.permanent


def test_a_webhook_cannot_list_its_channel(discord_fake, hook) -> None:
    with pytest.raises(HistoryUnavailable):
        transport(discord_fake, hook).arrivals("0" * 64, datetime.now(UTC))


def test_without_id_and_token_nothing_is_sent(discord_fake) -> None:
    with pytest.raises(TransportError, match="webhook id and token are not set"):
        DiscordTransport.configure({}, base_url=discord_fake.url, http=NET)


def test_split_webhook_url_refuses_other_urls() -> None:
    assert split_webhook_url("https://discord.com/api/webhooks/12/ab-C_d") == ("12", "ab-C_d")
    assert split_webhook_url("https://discord.com/api/webhooks/abc/token") is None
    assert split_webhook_url("") is None
