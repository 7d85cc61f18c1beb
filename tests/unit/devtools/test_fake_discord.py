"""The fake Discord webhook service enforces Execute Webhook's documented contract.

Raw HTTP with ``requests`` (not the product client): each rule is one test.
"""

from __future__ import annotations

import json

import pytest
import requests

from devtools.fakes.discord import DiscordFake, Webhook, discord_rate_limited


@pytest.fixture
def hook(discord_fake: DiscordFake) -> Webhook:
    return discord_fake.add_webhook("alerts")


def post(fake: DiscordFake, hook: Webhook, wait: bool = True, **kwargs) -> requests.Response:
    params = {"wait": "true"} if wait else {}
    return requests.post(hook.url(fake.url), params=params, timeout=5, **kwargs)


def test_wait_true_answers_the_message_and_without_it_204(discord_fake, hook):
    answer = post(discord_fake, hook, json={"content": "hi", "username": "ATSD"})
    assert answer.status_code == 200
    body = answer.json()
    assert (body["content"], body["author"]["username"]) == ("hi", "ATSD")
    assert post(discord_fake, hook, wait=False, json={"content": "again"}).status_code == 204
    assert [m["content"] for m in discord_fake.messages(hook)] == ["hi", "again"]


def test_unknown_webhook_is_404_and_a_wrong_token_401(discord_fake, hook):
    unknown = requests.post(
        f"{discord_fake.url}/api/webhooks/1/x", json={"content": "x"}, timeout=5
    )
    assert (unknown.status_code, unknown.json()["code"]) == (404, 10015)
    wrong = Webhook(hook.id, "wrong", hook.channel)
    answer = post(discord_fake, wrong, json={"content": "x"})
    assert (answer.status_code, answer.json()) == (
        401, {"message": "Invalid Webhook Token", "code": 50027}
    )  # fmt: skip


def test_an_empty_message_is_refused(discord_fake, hook):
    answer = post(discord_fake, hook, json={"username": "ATSD"})
    assert (answer.status_code, answer.json()["code"]) == (400, 50006)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"content": "x" * 2_001}, "content"),
        ({"content": "x", "username": "my discord bot"}, "username"),
        ({"content": "x", "username": "y" * 81}, "username"),
        ({"embeds": [{"title": "t"}] * 11}, "embeds"),
        ({"embeds": [{"description": "d" * 4_097}]}, "embeds.0.description"),
        ({"embeds": [{"description": "d" * 4_000}, {"description": "d" * 2_001}]}, "embeds"),
    ],
)
def test_limits_are_an_invalid_form_body_naming_the_field(discord_fake, hook, payload, field):
    answer = post(discord_fake, hook, json=payload)
    body = answer.json()
    assert (answer.status_code, body["code"], body["message"]) == (400, 50035, "Invalid Form Body")
    assert list(body["errors"]) == [field]
    assert discord_fake.messages(hook) == []


def test_2000_characters_are_taken(discord_fake, hook):
    assert post(discord_fake, hook, json={"content": "x" * 2_000}).status_code == 200


def test_files_come_as_multipart_with_payload_json(discord_fake, hook):
    answer = post(
        discord_fake, hook,
        data={"payload_json": json.dumps({"content": "chart"})},
        files={"files[0]": ("c.png", b"\x89PNG-bytes", "image/png")},
    )  # fmt: skip
    assert answer.status_code == 200
    assert answer.json()["attachments"][0]["filename"] == "c.png"
    [message] = discord_fake.messages(hook)
    assert message["files"] == {"c.png": b"\x89PNG-bytes"}


def test_a_file_over_10_mib_is_413(discord_fake, hook):
    big = b"0" * (10 * 1024 * 1024 + 1)
    answer = post(discord_fake, hook, files={"files[0]": ("big.bin", big)})
    assert (answer.status_code, answer.json()["code"]) == (413, 40005)


def test_over_the_limit_it_answers_429_with_retry_after_in_body_and_headers(discord_fake, hook):
    discord_fake.limit_posts(2, per_s=30)
    answers = [post(discord_fake, hook, json={"content": str(i)}) for i in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[1].headers["X-RateLimit-Remaining"] == "0"
    limited = answers[2]
    assert 0 < limited.json()["retry_after"] <= 30
    assert limited.json()["global"] is False
    assert int(limited.headers["Retry-After"]) >= limited.json()["retry_after"]
    assert len(discord_fake.messages(hook)) == 2


def test_a_scripted_rate_limit_is_shaped_like_discords(discord_fake, hook):
    discord_fake.script(discord_rate_limited(1.25))
    answer = post(discord_fake, hook, json={"content": "x"})
    assert answer.status_code == 429
    assert answer.json()["retry_after"] == 1.25
    assert answer.headers["Retry-After"] == "2"
