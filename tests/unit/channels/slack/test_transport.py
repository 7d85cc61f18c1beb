"""SlackTransport against the fake Slack Web API on loopback (real HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devtools.fakes.service import Reply
from devtools.fakes.slack import SlackFake, slack_error, slack_rate_limited
from notifications.channels.base import Attachment, HistoryUnavailable, TransportError
from notifications.channels.http import HttpSettings
from notifications.channels.slack.transport import (
    SlackConfig,
    SlackTransport,
    split_channels,
)
from tests.unit.channels.factories import tiny_png
from tests.unit.channels.slack.factories import TOKEN

NET = HttpSettings(connect_timeout_s=2, read_timeout_s=5)


@pytest.fixture
def fake(slack_fake: SlackFake) -> SlackFake:
    slack_fake.add_token(TOKEN)
    slack_fake.add_channel("alerts")
    slack_fake.add_channel("ops")
    return slack_fake


def transport(fake: SlackFake, channels: str = "alerts", **parameters: str) -> SlackTransport:
    values = {"token": TOKEN, "channels": channels, **parameters}
    return SlackTransport.configure(values, base_url=fake.api_url, http=NET)


def posts(fake: SlackFake) -> list[dict[str, Any]]:
    return [r.json for r in fake.log if r.path == "/api/chat.postMessage"]


def test_a_text_goes_to_chat_post_message_with_the_endpoint_options(fake: SlackFake) -> None:
    sent = transport(fake, username="ATSD", parse="full", link_names="true").send_text(
        "CPU > 90% <https://atsd/rule|rule>", target="alerts"
    )

    [request] = fake.log
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["content-type"] == "application/json; charset=utf-8"
    assert request.json == {
        "channel": "alerts",
        "text": "CPU > 90% <https://atsd/rule|rule>",
        "username": "ATSD",
        "parse": "full",
        "link_names": True,
    }
    [message] = fake.messages("alerts")
    assert sent.status == 200
    assert sent.message_id == message["ts"]
    assert "warning" not in request.answer


def test_each_channel_is_a_target_of_its_own(fake: SlackFake) -> None:
    slack = transport(fake, channels="alerts, #ops,alerts")
    assert slack.targets() == ("alerts", "#ops")
    for target in slack.targets():
        slack.send_text("disk full", target=target)
    assert [m["text"] for m in fake.messages("alerts")] == ["disk full"]
    assert [m["text"] for m in fake.messages("ops")] == ["disk full"]


def test_split_channels_takes_commas_and_spaces() -> None:
    assert split_channels(" a,b  c,,a ") == ("a", "b", "c")


def test_a_long_text_is_cut_visibly_to_slacks_limit(fake: SlackFake) -> None:
    transport(fake).send_text("x" * 50_000, target="alerts")
    [message] = fake.messages("alerts")
    assert len(message["text"]) == 40_000
    assert message["text"].endswith("...")


@pytest.mark.parametrize(
    ("code", "hint"),
    [
        ("channel_not_found", "check the channel name"),
        ("not_in_channel", "invite the app"),
        ("invalid_auth", "check the Bot User OAuth Token"),
        ("msg_too_long", ""),
    ],
)
def test_ok_false_errors_are_permanent_with_slacks_code(
    fake: SlackFake, code: str, hint: str
) -> None:
    fake.script(slack_error(code))
    with pytest.raises(TransportError) as caught:
        transport(fake).send_text("hello", target="alerts")
    assert caught.value.permanent
    assert caught.value.status == 200
    assert f"Slack error: HTTP 200: {code}" in caught.value.message
    assert hint in caught.value.message


@pytest.mark.parametrize("code", ["internal_error", "fatal_error", "service_unavailable"])
def test_slacks_own_trouble_is_transient(fake: SlackFake, code: str) -> None:
    fake.script(slack_error(code))
    with pytest.raises(TransportError) as caught:
        transport(fake).send_text("hello", target="alerts")
    assert not caught.value.permanent


def test_a_429_is_transient_and_waits_retry_after(fake: SlackFake) -> None:
    fake.script(slack_rate_limited(7))
    with pytest.raises(TransportError) as caught:
        transport(fake).send_text("hello", target="alerts")
    assert not caught.value.permanent
    assert caught.value.status == 429
    assert caught.value.retry_after_s == 7


def test_a_5xx_is_transient(fake: SlackFake) -> None:
    fake.script(Reply.status(503, "down"))
    with pytest.raises(TransportError) as caught:
        transport(fake).send_text("hello", target="alerts")
    assert (caught.value.permanent, caught.value.status) == (False, 503)


def test_the_token_never_shows_in_errors(fake: SlackFake) -> None:
    fake.script(Reply.status(400, {"ok": False, "error": f"bad {TOKEN}"}))
    with pytest.raises(TransportError) as caught:
        transport(fake).send_text("hello", target="alerts")
    assert TOKEN not in caught.value.message
    assert TOKEN not in caught.value.response_text


def test_a_missing_scope_names_the_scope_needed(fake: SlackFake) -> None:
    fake.add_token("xoxb-read-only", scopes=("channels:read",))
    slack = SlackTransport.configure(
        {"token": "xoxb-read-only", "channels": "alerts"}, base_url=fake.api_url, http=NET
    )
    with pytest.raises(TransportError, match=r"missing_scope \(needed: chat:write\)"):
        slack.send_text("hello", target="alerts")


def test_without_token_or_channels_nothing_is_sent(fake: SlackFake) -> None:
    with pytest.raises(TransportError, match="Token is not set"):
        SlackTransport(SlackConfig(token="", channels=("a",)))
    with pytest.raises(TransportError, match="channels are not set"):
        SlackTransport(SlackConfig(token=TOKEN, channels=()))
    assert fake.log == []


def test_a_chart_is_uploaded_through_the_external_upload(fake: SlackFake) -> None:
    png = tiny_png()
    chart = Attachment("chart.png", png, "image/png", "Default for br-1905")
    sent = transport(fake).send_file(chart, target="alerts")

    steps = [r.path.split("/")[-1] if r.path.startswith("/api") else "upload" for r in fake.log]
    assert steps == [
        "conversations.list",
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]
    ticket, upload, complete = fake.log[1:]
    assert ticket.form == {"filename": "chart.png", "length": str(len(png))}
    assert "authorization" not in upload.headers  # the pre-signed URL gets no token
    [message] = fake.messages("alerts")
    assert message["text"] == "Default for br-1905"
    assert message["files"][0]["name"] == "chart.png"
    assert fake.uploaded(message["files"][0]["id"]) == png
    assert complete.json["channel_id"] == fake.channel("alerts").id
    assert sent.message_id == message["files"][0]["id"]


def test_a_channel_id_needs_no_lookup_and_a_post_teaches_the_id(fake: SlackFake) -> None:
    slack = transport(fake)
    slack.send_text("first", target="alerts")
    slack.send_file(Attachment("c.png", tiny_png(), "image/png"), target="alerts")
    assert "/api/conversations.list" not in [r.path for r in fake.log]


def test_an_unknown_channel_name_is_a_permanent_error_for_files(fake: SlackFake) -> None:
    with pytest.raises(TransportError, match="channel 'nowhere' not found") as caught:
        transport(fake, channels="nowhere").send_file(
            Attachment("c.png", tiny_png(), "image/png"), target="nowhere"
        )
    assert caught.value.permanent


def test_details_are_an_alert_details_attachment_in_a_code_block(fake: SlackFake) -> None:
    table = "| entity | value |\n| br-1905 | 55 |"
    details = Attachment("details.txt", table.encode(), "text/plain")
    transport(fake).send_file(details, target="alerts")
    [message] = fake.messages("alerts")
    assert message["text"] == "details.txt"
    [attachment] = message["attachments"]
    assert attachment["title"] == "Alert Details"
    assert attachment["text"] == f"```{table}```"
    assert attachment["mrkdwn_in"] == ["text"]


def test_arrivals_finds_a_post_in_the_channel_history(fake: SlackFake) -> None:
    slack = transport(fake, channels="alerts,ops")
    since = datetime.now(UTC) - timedelta(seconds=5)
    footprints: list[Any] = []
    slack.before_send = footprints.append
    slack.send_text("disk full", target="ops")
    slack.send_text("other", target="alerts")

    [ts] = slack.arrivals(footprints[0].digest(), since)
    assert ts == fake.messages("ops")[0]["ts"]
    assert slack.arrivals(footprints[0].digest(), datetime.now(UTC) + timedelta(seconds=5)) == []


def test_arrivals_finds_an_uploaded_file(fake: SlackFake) -> None:
    slack = transport(fake)
    footprints: list[Any] = []
    slack.before_send = footprints.append
    slack.send_file(Attachment("c.png", tiny_png(), "image/png", "chart"), target="alerts")
    [footprint] = footprints
    assert (footprint.kind, footprint.file_name) == ("file", "c.png")
    since = datetime.now(UTC) - timedelta(seconds=5)
    assert slack.arrivals(footprint.digest(), since) == [fake.messages("alerts")[0]["ts"]]


def test_history_without_its_scope_is_unavailable(fake: SlackFake) -> None:
    fake.add_token("xoxb-post-only", scopes=("chat:write", "channels:read"))
    slack = SlackTransport.configure(
        {"token": "xoxb-post-only", "channels": "alerts"}, base_url=fake.api_url, http=NET
    )
    with pytest.raises(HistoryUnavailable, match="missing_scope"):
        slack.arrivals("0" * 64, datetime.now(UTC))
