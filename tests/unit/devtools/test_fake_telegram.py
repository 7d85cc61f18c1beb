"""The fake Telegram Bot API enforces the documented contract: tokens, chats, entity
parsing, length limits, files and flood control with ``retry_after`` in the body."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from devtools.fakes.telegram import TelegramFake, running_telegram

TOKEN = "42:fake-bot-token-abcdefghijklmnop"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


@pytest.fixture
def fake() -> Iterator[TelegramFake]:
    with running_telegram() as fake:
        fake.add_bot(TOKEN)
        fake.add_chat(-100, username="ops_alerts", type="channel")
        yield fake


def call(fake: TelegramFake, method: str, token: str = TOKEN, **kwargs) -> requests.Response:
    return requests.post(f"{fake.url}/bot{token}/{method}", timeout=5, **kwargs)


def test_a_message_is_ok_with_its_message_id_and_listed_in_its_chat(fake):
    answer = call(fake, "sendMessage", json={"chat_id": "@ops_alerts", "text": "hi"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["ok"] is True
    assert body["result"]["chat"]["id"] == -100
    [posted] = fake.messages(-100)
    assert (posted.message_id, posted.text) == (body["result"]["message_id"], "hi")


def test_parameters_come_as_a_form_or_a_query_and_methods_ignore_case(fake):
    assert call(fake, "SENDMESSAGE", data={"chat_id": "-100", "text": "a"}).ok
    assert call(fake, "sendmessage", params={"chat_id": "-100", "text": "b"}).ok
    assert [m.text for m in fake.messages(-100)] == ["a", "b"]


@pytest.mark.parametrize(
    ("token", "method", "status", "description"),
    [
        ("1:wrong", "sendMessage", 401, "Unauthorized"),
        (TOKEN, "sendSticker", 404, "Not Found"),
    ],
)
def test_an_unknown_token_or_method_is_refused(fake, token, method, status, description):
    answer = call(fake, method, token=token, json={"chat_id": "-100", "text": "x"})
    assert answer.status_code == status
    assert answer.json() == {"ok": False, "error_code": status, "description": description}


@pytest.mark.parametrize(
    ("fields", "description"),
    [
        ({"text": "x"}, "Bad Request: chat_id is empty"),
        ({"chat_id": "@nobody", "text": "x"}, "Bad Request: chat not found"),
        ({"chat_id": "-100", "text": ""}, "Bad Request: message text is empty"),
        ({"chat_id": "-100", "text": "x" * 4097}, "Bad Request: message is too long"),
        ({"chat_id": "-100", "text": "x", "parse_mode": "BB"},
         "Bad Request: unsupported parse_mode"),
    ],
)  # fmt: skip
def test_missing_or_oversized_fields_are_400_with_telegram_s_description(fake, fields, description):
    answer = call(fake, "sendMessage", json=fields)
    assert answer.status_code == 400
    assert answer.json()["description"] == description
    assert not fake.messages()


def test_an_unclosed_markdown_entity_names_its_byte_offset(fake):
    text = "é rule jvm_low"
    answer = call(
        fake, "sendMessage", json={"chat_id": "-100", "text": text, "parse_mode": "Markdown"}
    )
    assert answer.status_code == 400
    assert answer.json()["description"].endswith("starting at byte offset 11")  # "é" is two bytes


def test_markdown_and_html_entities_are_parsed_out_of_the_shown_text(fake):
    md = {"chat_id": "-100", "text": r"*b* [l](http://x) \_", "parse_mode": "Markdown"}
    html = {"chat_id": "-100", "text": "<b>b</b> &amp;", "parse_mode": "HTML"}
    assert call(fake, "sendMessage", json=md).ok
    assert call(fake, "sendMessage", json=html).ok
    assert [m.text for m in fake.messages()] == ["b l _", "b &"]
    bad = {"chat_id": "-100", "text": "<div>x</div>", "parse_mode": "HTML"}
    assert "Unsupported start tag" in call(fake, "sendMessage", json=bad).json()["description"]


def test_a_photo_must_be_an_image_and_a_caption_fit_1024(fake):
    ok = call(
        fake,
        "sendPhoto",
        data={"chat_id": "-100", "caption": "c"},
        files={"photo": ("a.png", PNG, "image/png")},
    )
    assert ok.status_code == 200
    not_image = call(
        fake, "sendPhoto", data={"chat_id": "-100"}, files={"photo": ("a.png", b"GIF", "image/png")}
    )
    assert not_image.json()["description"] == "Bad Request: IMAGE_PROCESS_FAILED"
    long_caption = call(
        fake,
        "sendDocument",
        data={"chat_id": "-100", "caption": "c" * 1025},
        files={"document": ("t.txt", b"t")},
    )
    assert long_caption.json()["description"] == "Bad Request: message caption is too long"
    missing = call(fake, "sendDocument", data={"chat_id": "-100"})
    assert missing.json()["description"] == "Bad Request: there is no document in the request"
    [photo] = fake.messages()
    assert (photo.method, photo.file_name, photo.file, photo.text) == (
        "sendPhoto",
        "a.png",
        PNG,
        "c",
    )


def test_a_chat_the_bot_left_is_403_and_a_migrated_group_names_the_new_id(fake):
    fake.add_chat(-7, member=False)
    fake.add_chat(-8, migrated_to=-1008)
    assert call(fake, "sendMessage", json={"chat_id": "-7", "text": "x"}).status_code == 403
    moved = call(fake, "sendMessage", json={"chat_id": "-8", "text": "x"})
    assert moved.status_code == 400
    assert moved.json()["parameters"] == {"migrate_to_chat_id": -1008}


def test_flood_control_is_429_with_retry_after_in_the_body_only(fake):
    fake.per_chat_limit = 1
    assert call(fake, "sendMessage", json={"chat_id": "-100", "text": "1"}).ok
    answer = call(fake, "sendMessage", json={"chat_id": "-100", "text": "2"})
    assert answer.status_code == 429
    body = answer.json()
    assert body["parameters"]["retry_after"] >= 1
    assert (
        body["description"] == f"Too Many Requests: retry after {body['parameters']['retry_after']}"
    )
    assert "Retry-After" not in answer.headers
    assert [m.text for m in fake.messages()] == ["1"]


def test_a_scripted_flood_answers_once_then_the_contract_applies(fake):
    fake.script(TelegramFake.flood(retry_after=3))
    first = call(fake, "sendMessage", json={"chat_id": "-100", "text": "x"})
    assert (first.status_code, first.json()["parameters"]) == (429, {"retry_after": 3})
    assert call(fake, "sendMessage", json={"chat_id": "-100", "text": "x"}).ok
    assert [r.status for r in fake.wait_for(lambda log: len(log) == 2)] == [429, 200]
