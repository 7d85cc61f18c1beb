"""TeamsTransport against the fake Teams Workflows webhook on loopback (real HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from devtools.fakes.service import Reply
from devtools.fakes.teams import TeamsFake
from notifications.channels.base import Attachment, HistoryUnavailable, TransportError
from notifications.channels.http import HttpSettings
from notifications.channels.teams.transport import TeamsTransport, style_for
from tests.unit.channels.factories import tiny_png

NET = HttpSettings(connect_timeout_s=2, read_timeout_s=5)


@pytest.fixture
def url(teams_fake: TeamsFake) -> str:
    return teams_fake.add_workflow("alerts")


def transport(url: str) -> TeamsTransport:
    return TeamsTransport.configure({"webhook_url": url}, base_url="", http=NET)


def test_a_text_is_an_adaptive_card_styled_by_severity_with_links_as_buttons(
    teams_fake, url
) -> None:
    text = "[OPEN] disk low. [disk_low](https://atsd/rule) [Chart](https://atsd/chart)"
    sent = transport(url).send_text(text, severity="CRITICAL")
    assert sent.status == 202
    [request] = teams_fake.log
    assert request.headers["content-type"] == "application/json; charset=utf-8"
    assert request.json["type"] == "message"
    [card] = teams_fake.cards("alerts")
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    [container] = card["body"]
    assert container["style"] == "attention"
    assert container["items"] == [{"type": "TextBlock", "text": text, "wrap": True}]
    assert card["actions"] == [
        {"type": "Action.OpenUrl", "title": "disk_low", "url": "https://atsd/rule"},
        {"type": "Action.OpenUrl", "title": "Chart", "url": "https://atsd/chart"},
    ]


@pytest.mark.parametrize(
    ("severity", "style"),
    [("WARNING", "warning"), ("normal", "good"), ("FATAL", "attention"), ("UNKNOWN", "default")],
)
def test_severity_styles(severity, style) -> None:
    assert style_for(severity) == style


def test_details_are_a_monospace_card_one_block_a_line(teams_fake, url) -> None:
    table = "entity  | value\n\nbr-1905 | 55"
    transport(url).send_file(Attachment("d.txt", table.encode(), "text/plain"))
    [card] = teams_fake.cards("alerts")
    title, *lines = card["body"]
    assert title["text"] == "Alert Details"
    assert [b["text"] for b in lines] == ["entity  | value", "br-1905 | 55"]
    assert {b["fontType"] for b in lines} == {"Monospace"}


def test_an_image_cannot_be_sent_through_a_webhook(teams_fake, url) -> None:
    with pytest.raises(TransportError, match="cannot share files") as caught:
        transport(url).send_file(Attachment("c.png", tiny_png(), "image/png"))
    assert caught.value.permanent
    assert teams_fake.log == []


def test_wide_characters_are_cut_visibly_to_fit_28_kb(teams_fake, url) -> None:
    transport(url).send_text("🙂" * 12_000)
    [request] = teams_fake.log
    assert request.status == 202
    assert len(request.body) <= 28 * 1024
    [card] = teams_fake.cards("alerts")
    assert card["body"][0]["items"][0]["text"].endswith("...")


def test_a_429_waits_retry_after(teams_fake, url) -> None:
    teams_fake.script(Reply.rate_limited(4))
    with pytest.raises(TransportError) as caught:
        transport(url).send_text("hello")
    assert (caught.value.permanent, caught.value.status, caught.value.retry_after_s) == (
        False, 429, 4.0,
    )  # fmt: skip


def test_a_wrong_signature_is_permanent_and_the_url_never_shows(teams_fake, url) -> None:
    wrong = url.replace("sig=", "sig=x")
    with pytest.raises(TransportError) as caught:
        transport(wrong).send_text("hello")
    assert caught.value.permanent
    assert "DirectApiInvalidAuthorizationSignature" in caught.value.message
    assert wrong.split("sig=")[1] not in caught.value.message + caught.value.response_text


def test_a_legacy_connectors_200_failure_is_an_error(teams_fake, url) -> None:
    failed = (
        "Webhook message delivery failed with error: "
        "Microsoft Teams endpoint returned HTTP error 429"
    )
    teams_fake.script(Reply.status(200, failed))
    with pytest.raises(TransportError) as caught:
        transport(url).send_text("hello")
    assert not caught.value.permanent


def test_a_webhook_cannot_list_its_channel(url) -> None:
    with pytest.raises(HistoryUnavailable):
        transport(url).arrivals("0" * 64, datetime.now(UTC))


def test_without_a_url_nothing_is_sent() -> None:
    with pytest.raises(TransportError, match="webhook URL is not set"):
        transport("")
