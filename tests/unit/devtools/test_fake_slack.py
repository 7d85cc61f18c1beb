"""The fake Slack Web API enforces the documented contract of the methods we use.

These tests speak raw HTTP with ``requests`` (not the product client), so they prove
the fake itself: each rule is one test.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from devtools.fakes.service import Reply
from devtools.fakes.slack import SlackFake, slack_error, slack_rate_limited

TOKEN = "xoxb-fake-token"


@pytest.fixture
def fake(slack_fake: SlackFake) -> SlackFake:
    slack_fake.add_token(TOKEN)
    slack_fake.add_channel("alerts")
    return slack_fake


def call(fake: SlackFake, method: str, token: str | None = TOKEN, **arguments: Any) -> Any:
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return requests.post(
        f"{fake.api_url}/{method}", data=json.dumps(arguments), headers=headers, timeout=5
    )


def test_a_post_answers_the_channel_id_and_ts_and_lands_in_the_channel(fake):
    answer = call(fake, "chat.postMessage", channel="#alerts", text="hi").json()
    assert answer["ok"] is True
    assert answer["channel"] == fake.channel("alerts").id
    assert fake.messages("alerts") == [{"type": "message", "text": "hi", "ts": answer["ts"]}]


def test_without_a_token_it_is_not_authed_and_a_wrong_one_is_invalid(fake):
    assert call(fake, "chat.postMessage", token=None, channel="alerts", text="x").json() == {
        "ok": False,
        "error": "not_authed",
    }
    wrong = call(fake, "chat.postMessage", token="xoxb-wrong", channel="alerts", text="x")
    assert (wrong.status_code, wrong.json()["error"]) == (200, "invalid_auth")
    assert fake.messages("alerts") == []


def test_a_token_without_the_scope_gets_missing_scope_with_needed(fake):
    fake.add_token("xoxb-files", scopes=("files:write",))
    answer = call(fake, "chat.postMessage", token="xoxb-files", channel="alerts", text="x").json()
    assert answer["error"] == "missing_scope"
    assert answer["needed"] == "chat:write"


def test_a_form_body_and_a_token_argument_work_too(fake):
    answer = requests.post(
        f"{fake.api_url}/chat.postMessage",
        data={"token": TOKEN, "channel": "alerts", "text": "form"},
        timeout=5,
    ).json()
    assert answer["ok"] is True


def test_json_without_charset_is_accepted_with_a_warning(fake):
    answer = requests.post(
        f"{fake.api_url}/chat.postMessage",
        json={"channel": "alerts", "text": "x"},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=5,
    ).json()
    assert (answer["ok"], answer["warning"]) == (True, "missing_charset")


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({"channel": "nowhere", "text": "x"}, "channel_not_found"),
        ({"channel": "alerts"}, "no_text"),
        ({"channel": "alerts", "text": "x" * 40_001}, "msg_too_long"),
        ({"channel": "alerts", "attachments": [{"text": "a"}] * 101}, "too_many_attachments"),
    ],
)
def test_a_post_the_contract_refuses_is_ok_false(fake, arguments, error):
    answer = call(fake, "chat.postMessage", **arguments)
    assert (answer.status_code, answer.json()) == (200, {"ok": False, "error": error})
    assert fake.messages("alerts") == []


def test_channels_the_app_is_not_in_or_archived_refuse_posts(fake):
    fake.add_channel("quiet", member=False)
    fake.add_channel("old", archived=True)
    assert call(fake, "chat.postMessage", channel="quiet", text="x").json()["error"] == (
        "not_in_channel"
    )
    assert call(fake, "chat.postMessage", channel="old", text="x").json()["error"] == "is_archived"


def test_text_of_exactly_40000_characters_is_taken(fake):
    assert call(fake, "chat.postMessage", channel="alerts", text="x" * 40_000).json()["ok"]


def test_an_unknown_method_is_404(fake):
    answer = call(fake, "files.upload", channel="alerts")
    assert (answer.status_code, answer.json()["error"]) == (404, "unknown_method")


def test_posts_over_the_channel_limit_get_429_with_retry_after(fake):
    fake.limit_posts(2, per_s=30)
    statuses = [call(fake, "chat.postMessage", channel="alerts", text="x") for _ in range(3)]
    assert [s.status_code for s in statuses] == [200, 200, 429]
    assert 1 <= int(statuses[2].headers["Retry-After"]) <= 30
    assert statuses[2].json() == {"ok": False, "error": "ratelimited"}
    assert len(fake.messages("alerts")) == 2


def test_scripted_answers_replace_the_next_requests(fake):
    fake.script(slack_rate_limited(3))
    fake.script(slack_error("internal_error"))
    fake.script(Reply.status(503, "down"))
    answers = [call(fake, "chat.postMessage", channel="alerts", text="x") for _ in range(4)]
    assert [a.status_code for a in answers] == [429, 200, 503, 200]
    assert answers[0].headers["Retry-After"] == "3"
    assert answers[1].json()["error"] == "internal_error"
    assert [r.accepted for r in fake.log] == [False, False, False, True]


def test_the_external_upload_posts_the_file_with_its_comment(fake):
    ticket = requests.post(
        f"{fake.api_url}/files.getUploadURLExternal",
        data={"filename": "c.png", "length": "4"},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=5,
    ).json()
    upload = requests.post(ticket["upload_url"], files={"file": ("c.png", b"\x89PNG")}, timeout=5)
    assert (upload.status_code, upload.text) == (200, "OK - 4")
    files = [{"id": ticket["file_id"], "title": "chart"}]
    channel_id = fake.channel("alerts").id
    done = call(
        fake, "files.completeUploadExternal", files=files, channel_id=channel_id,
        initial_comment="Default for atsd",
    ).json()  # fmt: skip
    assert done["files"] == [{"id": ticket["file_id"], "name": "c.png", "title": "chart"}]
    [message] = fake.messages("alerts")
    assert (message["text"], message["files"]) == ("Default for atsd", done["files"])
    assert fake.uploaded(ticket["file_id"]) == b"\x89PNG"


def test_the_upload_contract_refuses_what_slack_refuses(fake):
    def ticket(**arguments: str) -> dict[str, Any]:
        return requests.post(
            f"{fake.api_url}/files.getUploadURLExternal",
            data=arguments,
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=5,
        ).json()

    assert ticket(filename="c.png", length="0")["error"] == "missing_argument"
    good = ticket(filename="c.png", length="4")
    assert requests.post(good["upload_url"], data=b"12345", timeout=5).status_code == 400
    files = [{"id": good["file_id"]}]
    not_uploaded = call(fake, "files.completeUploadExternal", files=files, channel_id="C1")
    assert not_uploaded.json()["error"] == "file_not_found"
    requests.post(good["upload_url"], data=b"1234", timeout=5)
    by_name = call(fake, "files.completeUploadExternal", files=files, channel_id="alerts")
    assert by_name.json()["error"] == "channel_not_found"  # an id is required


def test_history_is_newest_first_after_oldest_in_cursor_pages(fake):
    stamps = [
        call(fake, "chat.postMessage", channel="alerts", text=str(i)).json()["ts"] for i in range(3)
    ]
    channel = fake.channel("alerts").id
    first = call(fake, "conversations.history", channel=channel, oldest=stamps[0], limit=1).json()
    assert [m["text"] for m in first["messages"]] == ["2"]
    assert first["has_more"] is True
    cursor = first["response_metadata"]["next_cursor"]
    rest = call(
        fake, "conversations.history", channel=channel, oldest=stamps[0], limit=1, cursor=cursor
    ).json()
    assert [m["text"] for m in rest["messages"]] == ["1"]
    assert rest["response_metadata"]["next_cursor"] == ""


def test_the_channel_list_shows_ids_and_hides_private_channels_the_app_is_not_in(fake):
    fake.add_channel("secret", private=True, member=False)
    fake.add_channel("team", private=True)
    answer = call(fake, "conversations.list", types="public_channel,private_channel").json()
    assert [c["name"] for c in answer["channels"]] == ["alerts", "team"]
    assert answer["channels"][0]["id"] == fake.channel("alerts").id
