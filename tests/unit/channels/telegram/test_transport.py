"""TelegramTransport against the fake Bot API on loopback (real HTTP)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from devtools.fakes.service import Reply
from devtools.fakes.telegram import TelegramFake, running_telegram
from notifications.channels.base import Attachment, Footprint, HistoryUnavailable, TransportError
from notifications.channels.http import HttpSettings
from notifications.channels.telegram.transport import (
    CAPTION_LIMIT,
    TEXT_LIMIT,
    TelegramConfig,
    TelegramTransport,
    markdown_parses,
    utf16_length,
)
from tests.unit.channels.telegram.factories import BOT_TOKEN, CHAT_ID, bot_and_chat

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def fake() -> Iterator[TelegramFake]:
    with running_telegram() as fake:
        bot_and_chat(fake)
        yield fake


def transport(fake: TelegramFake, **overrides: Any) -> TelegramTransport:
    options: dict[str, Any] = {
        "chat_id": "@ops_alerts",
        "bot_token": BOT_TOKEN,
        "base_url": fake.url,
        "http": HttpSettings(connect_timeout_s=2, read_timeout_s=5),
    }
    options.update(overrides)
    return TelegramTransport(TelegramConfig(**options))


def test_a_text_is_a_markdown_send_message_and_its_message_id_is_kept(fake):
    sent = transport(fake).send_text("[OPEN] *cpu* for [nurswgvml007](https://atsd/e)")
    [posted] = fake.messages(CHAT_ID)
    assert posted.method == "sendMessage"
    assert posted.parse_mode == "Markdown"
    assert posted.text == "OPEN cpu for nurswgvml007"
    assert sent.status == 200
    assert sent.message_id == str(posted.message_id)
    assert fake.log[0].path == f"/bot{BOT_TOKEN}/sendMessage"


def test_escaped_markers_show_as_typed_in_markdown(fake):
    transport(fake).send_text(r"disk\_used\_percent is *high*")
    [posted] = fake.messages(CHAT_ID)
    assert (posted.parse_mode, posted.text) == ("Markdown", "disk_used_percent is high")


def test_a_text_that_would_not_parse_as_markdown_goes_as_plain_text(fake):
    transport(fake).send_text("disk_used on /var")
    [posted] = fake.messages(CHAT_ID)
    assert posted.parse_mode == ""
    assert posted.text == "disk_used on /var"


def test_the_switches_and_a_numeric_chat_id_reach_the_api(fake):
    options = {"chat_id": str(CHAT_ID), "disable_notification": True}
    transport(fake, disable_web_page_preview=True, **options).send_text("hi")
    [posted] = fake.messages(CHAT_ID)
    assert (posted.silent, posted.no_preview) == (True, True)
    assert fake.log[0].json == {
        "chat_id": str(CHAT_ID), "text": "hi", "parse_mode": "Markdown",
        "disable_notification": True, "disable_web_page_preview": True,
    }  # fmt: skip


def test_a_text_over_4096_units_is_cut_visibly_and_accepted(fake):
    transport(fake, parse_mode="").send_text("😀" * 3000)  # 6000 UTF-16 units
    [posted] = fake.messages(CHAT_ID)
    assert posted.text.endswith("...")
    assert utf16_length(posted.text) <= TEXT_LIMIT
    assert utf16_length(posted.text) > TEXT_LIMIT - 4


def test_a_long_html_text_is_cut_outside_tags_and_still_parses(fake):
    text = "<b>" + "x" * 5000 + "</b>"
    transport(fake, parse_mode="HTML").send_text(text)
    [posted] = fake.messages(CHAT_ID)
    assert posted.parse_mode == "HTML"
    assert posted.text.endswith("...")


def test_an_image_is_a_photo_with_its_caption(fake):
    chart = Attachment("chart.png", PNG, "image/png", "Default for atsd")
    sent = transport(fake).send_file(chart)
    [posted] = fake.messages(CHAT_ID)
    assert (posted.method, posted.file_name, posted.file) == ("sendPhoto", "chart.png", PNG)
    assert posted.text == "Default for atsd"
    assert sent.message_id == str(posted.message_id)


def test_a_details_table_is_a_document_and_a_long_caption_is_cut(fake):
    table = Attachment("details.txt", b"| a | b |", "text/plain", "c" * 2000)
    transport(fake).send_file(table)
    [posted] = fake.messages(CHAT_ID)
    assert (posted.method, posted.file) == ("sendDocument", b"| a | b |")
    assert len(posted.text) == CAPTION_LIMIT


def test_flood_control_is_transient_and_waits_the_body_s_retry_after(fake):
    fake.script(TelegramFake.flood(retry_after=7))
    with pytest.raises(TransportError) as caught:
        transport(fake).send_text("hi")
    assert not caught.value.permanent
    assert caught.value.status == 429
    assert caught.value.retry_after_s == 7
    assert "retry after 7" in caught.value.message


def test_a_bad_token_is_permanent_and_never_shows_the_token(fake):
    with pytest.raises(TransportError) as caught:
        transport(fake, bot_token="999:not-the-token-aaaaaaaaaaaaaaaaa").send_text("hi")
    assert caught.value.permanent
    assert caught.value.status == 401
    assert caught.value.message == "Telegram error: HTTP 401: Unauthorized"


def test_a_migrated_group_names_its_new_chat_id(fake):
    fake.add_chat(-42, migrated_to=-1009)
    with pytest.raises(TransportError) as caught:
        transport(fake, chat_id="-42").send_text("hi")
    assert caught.value.permanent
    assert "set Chat ID to it" in caught.value.message
    assert "-1009" in caught.value.message


def test_a_5xx_is_transient(fake):
    fake.script(Reply.status(502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}))
    with pytest.raises(TransportError) as caught:
        transport(fake).send_text("hi")
    assert not caught.value.permanent


def test_the_footprint_is_written_before_the_request_leaves(fake):
    seen: list[tuple[Footprint, int]] = []
    t = transport(fake)
    t.before_send = lambda footprint: seen.append((footprint, len(fake.log)))
    t.send_text("hello")
    assert seen == [(Footprint("@ops_alerts", "message", "hello"), 0)]


def test_a_gateway_base_url_ending_in_bot_is_accepted(fake):
    transport(fake, base_url=fake.url + "/bot").send_text("hi")
    assert fake.log[0].path == f"/bot{BOT_TOKEN}/sendMessage"


def test_configuration_errors_are_permanent_and_a_chat_history_cannot_be_read(fake):
    with pytest.raises(TransportError, match="Chat ID is not set"):
        transport(fake, chat_id="")
    with pytest.raises(TransportError, match="Bot API Token is not set"):
        transport(fake, bot_token="")
    with pytest.raises(TransportError, match="empty message"):
        transport(fake).send_text("  ")
    with pytest.raises(HistoryUnavailable):
        transport(fake).arrivals("digest", since=None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "parses"),
    [
        ("plain", True),
        ("*bold* _it_ `code` [l](u)", True),
        ("```pre _x```", True),
        (r"escaped \_ and \*", True),
        ("one_underscore", False),
        ("open [bracket", False),
        ("lone *star", False),
    ],
)
def test_legacy_markdown_check_matches_telegram_s_rules(text, parses):
    assert markdown_parses(text) is parses


def test_render_format_follows_the_parse_mode():
    assert TelegramTransport.message_format({"parse_mode": "Markdown"}) == "markdown"
    assert TelegramTransport.message_format({"parse_mode": "HTML"}) == "html"
    assert TelegramTransport.message_format({"parse_mode": ""}) == "text"
    assert TelegramTransport.message_format({}) == "markdown"
    assert TelegramTransport.text_parameter == "text"


def test_a_network_error_never_shows_the_token_that_is_in_the_url():
    with running_telegram() as closed:
        url = closed.url  # a port nobody listens on once the fake stops
    config = TelegramConfig(chat_id="@ops_alerts", bot_token=BOT_TOKEN, base_url=url)
    with pytest.raises(TransportError) as caught:
        TelegramTransport(config).send_text("hi")
    assert not caught.value.permanent
    assert BOT_TOKEN not in caught.value.message
    assert "[redacted]" in caught.value.message
