"""HipChatTransport against the fake HipChat v2 server on loopback (real HTTP)."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devtools.fakes.hipchat import HipChatFake, Reply
from notifications.channels.base import (
    Attachment,
    Footprint,
    HistoryUnavailable,
    Sent,
    TransportError,
)
from notifications.channels.hipchat.transport import (
    HipChatConfig,
    HipChatTransport,
    color_for,
)
from notifications.channels.http import HttpSettings
from tests.unit.channels.factories import tiny_png

TOKEN = "notif-0123456789abcdef"
MESSAGE_TOKEN = "msg-fedcba9876543210"


def chart_file() -> Attachment:
    return Attachment("chart.png", tiny_png(), "image/png", "Default for atsd")


def transport(fake: HipChatFake, room: str = "Ops Alerts", **overrides: Any) -> HipChatTransport:
    options: dict[str, Any] = {
        "room": room,
        "base_url": fake.url,
        "notification_token": TOKEN,
        "message_token": MESSAGE_TOKEN,
        "http": HttpSettings(connect_timeout_s=2, read_timeout_s=5),
    }
    options.update(overrides)
    return HipChatTransport(HipChatConfig(**options))


@pytest.fixture
def fake(hipchat_fake: HipChatFake) -> HipChatFake:
    hipchat_fake.add_room("Ops Alerts", room_id=7)
    hipchat_fake.add_token(TOKEN, scopes=["send_notification"])
    hipchat_fake.add_token(MESSAGE_TOKEN, scopes=["send_message"])
    return hipchat_fake


def test_it_sends_bearer_notification_token(fake: HipChatFake) -> None:
    sent = transport(fake).send_text("CPU > 90%", severity="WARNING")

    assert sent == Sent(204, sent.elapsed_ms, "")
    [request] = fake.log
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.auth_method == "header"
    assert "auth_token" not in request.query
    assert request.json == {"message": "CPU > 90%", "message_format": "text", "color": "yellow"}


def test_it_uses_a_single_auth_token_for_both_scopes(fake: HipChatFake) -> None:
    both = fake.add_token("both-scopes-token", scopes=["send_notification", "send_message"])
    hipchat = transport(fake, notification_token="", message_token="", auth_token=both)

    hipchat.send_text("hi")
    hipchat.send_file(chart_file())

    assert [r.token for r in fake.log] == [both, both]
    assert [r.status for r in fake.log] == [204, 204]


def test_it_percent_encodes_room_names(fake: HipChatFake) -> None:
    room = fake.add_room("test axibase+ops/a,b")

    transport(fake, room=room.name).send_text("hi")

    [request] = fake.room_messages(room)
    assert request.path == "/v2/room/test%20axibase%2Bops%2Fa%2Cb/notification"


def test_it_sends_room_ids_as_ids(fake: HipChatFake) -> None:
    transport(fake, room="7").send_text("hi")

    assert fake.log[0].path == "/v2/room/7/notification"
    assert fake.log[0].room is not None
    assert fake.log[0].room.name == "Ops Alerts"


def test_it_omits_notify_for_default(fake: HipChatFake) -> None:
    transport(fake).send_text("default")
    transport(fake, notify=True).send_text("yes")
    transport(fake, notify=False).send_text("no")

    bodies = [r.json for r in fake.room_messages("Ops Alerts")]
    assert "notify" not in bodies[0]
    assert bodies[1]["notify"] is True
    assert bodies[2]["notify"] is False


def test_it_sends_from_only_when_set_and_within_64(fake: HipChatFake) -> None:
    transport(fake, from_="").send_text("a")
    transport(fake, from_="x" * 80).send_text("b")

    first, second = (r.json for r in fake.log)
    assert "from" not in first
    assert second["from"] == "x" * 64
    assert [r.status for r in fake.log] == [204, 204]


def test_it_sends_endpoint_options_with_the_text(fake: HipChatFake) -> None:
    hipchat = transport(fake, from_="atsd", message_format="html", notify=True)

    hipchat.send_text("<b>[OPEN]</b> rule", severity="critical")

    assert fake.log[0].json == {
        "message": "<b>[OPEN]</b> rule",
        "message_format": "html",
        "color": "red",
        "notify": True,
        "from": "atsd",
    }


@pytest.mark.parametrize(
    ("severity", "color"),
    [
        ("WARNING", "yellow"),
        ("warning", "yellow"),
        ("CRITICAL", "red"),
        ("Critical", "red"),
        ("NORMAL", "green"),
        ("MINOR", "yellow"),
        ("MAJOR", "red"),
        ("FATAL", "red"),
        ("UNDEFINED", "gray"),
        ("unknown", "gray"),
        ("", "gray"),
    ],
)
def test_it_colours_by_severity(fake: HipChatFake, severity: str, color: str) -> None:
    assert color_for(severity) == color

    transport(fake).send_text("x", severity=severity)

    assert fake.log[0].json["color"] == color
    assert fake.log[0].status == 204


def test_it_cuts_long_text_to_10000_with_marker(fake: HipChatFake) -> None:
    transport(fake).send_text("é" * 12000)

    [request] = fake.log
    assert request.status == 204
    assert request.json["message"] == "é" * 9997 + "..."


def test_it_cuts_long_html_outside_tags_and_entities(fake: HipChatFake) -> None:
    row = '<tr><td><a href="https://atsd.example.org/rule?name=a&amp;b">r&amp;1</a></td></tr>'
    message = "<b>Details</b><table>" + row * 300 + "</table>"
    assert len(message) > 10_000

    transport(fake, message_format="html").send_text(message)

    [request] = fake.log
    assert request.status == 204
    sent = request.json["message"]
    assert len(sent) <= 10_000
    body, _, closers = sent.partition("...")
    assert message.startswith(body)
    assert body.count("<") == body.count(">")
    assert re.search(r"&[#A-Za-z0-9]*$", body) is None
    assert closers == "".join(re.findall(r"</\w+>", closers))
    assert closers.endswith("</table>")


def test_it_classifies_429_as_transient_with_reset(fake: HipChatFake) -> None:
    fake.script(Reply.rate_limited(reset_in_s=30))

    with pytest.raises(TransportError) as caught:
        transport(fake).send_text("hi")

    error = caught.value
    assert error.permanent is False
    assert error.status == 429
    assert error.retry_after_s is not None
    assert 28 <= error.retry_after_s <= 31


def test_it_waits_for_flood_control_reset(fake: HipChatFake) -> None:
    fake.script(Reply.rate_limited(reset_in_s=45, flood=True))

    with pytest.raises(TransportError) as caught:
        transport(fake).send_text("hi")

    assert caught.value.retry_after_s is not None
    assert 43 <= caught.value.retry_after_s <= 46


def test_it_honours_retry_after_on_429(fake: HipChatFake) -> None:
    fake.script(Reply(status=429, headers={"Retry-After": "120"}))

    with pytest.raises(TransportError) as caught:
        transport(fake).send_text("hi")

    assert caught.value.retry_after_s == pytest.approx(120, abs=1)


def test_it_holds_back_a_message_past_the_flood_limit_before_sending(fake: HipChatFake) -> None:
    fake.flood_limit = 2
    hipchat = transport(fake)
    hipchat.send_text("1")
    hipchat.send_text("2")

    with pytest.raises(TransportError) as caught:
        hipchat.send_text("3")

    assert caught.value.held is True
    assert caught.value.status is None
    assert caught.value.permanent is False
    assert 0 < (caught.value.retry_after_s or 0) <= 61
    assert [r.status for r in fake.log] == [204, 204]  # the third never left: no 429


def test_another_worker_shares_the_room_budget(fake: HipChatFake) -> None:
    fake.flood_limit = 1
    transport(fake).send_text("1")

    with pytest.raises(TransportError) as caught:
        transport(fake).send_text("2")  # a transport of its own, as another worker has

    assert caught.value.held is True
    assert len(fake.log) == 1


def test_the_token_budget_holds_back_posts_to_every_room(fake: HipChatFake) -> None:
    fake.add_room("Other", room_id=8)
    fake.token_limit = 1
    transport(fake).send_text("1")

    with pytest.raises(TransportError) as caught:
        transport(fake, room="Other").send_text("2")

    assert caught.value.held is True
    assert len(fake.log) == 1


def test_a_raised_limit_in_the_headers_is_used(fake: HipChatFake) -> None:
    fake.flood_limit = 40  # a Server install advertising more than Cloud's 30
    hipchat = transport(fake)

    for n in range(35):
        hipchat.send_text(str(n))

    assert [r.status for r in fake.log] == [204] * 35


def test_a_held_message_leaves_once_the_window_has_reset() -> None:
    now = [1_700_000_000.0]
    fake = HipChatFake(flood_limit=1, clock=lambda: now[0]).start()
    try:
        fake.add_room("Ops Alerts", room_id=7)
        fake.add_token(TOKEN, scopes=["send_notification"])
        hipchat = HipChatTransport(
            HipChatConfig(room="Ops Alerts", base_url=fake.url, notification_token=TOKEN),
            clock=lambda: now[0],
        )
        hipchat.send_text("1")
        with pytest.raises(TransportError) as caught:
            hipchat.send_text("2")
        now[0] += caught.value.retry_after_s or 0

        hipchat.send_text("2")

        assert [r.status for r in fake.log] == [204, 204]
    finally:
        fake.stop()


@pytest.mark.parametrize("status", [500, 502, 503])
def test_it_classifies_500_as_transient(fake: HipChatFake, status: int) -> None:
    fake.script(Reply(status=status))

    with pytest.raises(TransportError) as caught:
        transport(fake).send_text("hi")

    assert caught.value.permanent is False
    assert caught.value.status == status
    # X-Ratelimit-Reset rides on every response; it must not delay a 5xx retry.
    assert caught.value.retry_after_s is None


def test_it_classifies_network_errors_as_transient(fake: HipChatFake) -> None:
    fake.script(Reply.dropped())

    with pytest.raises(TransportError) as caught:
        transport(fake).send_text("hi")

    assert caught.value.permanent is False
    assert caught.value.status is None


def test_it_classifies_a_slow_reply_as_transient_timeout(fake: HipChatFake) -> None:
    fake.script(Reply.slow(delay_s=30))
    hipchat = transport(fake, http=HttpSettings(connect_timeout_s=2, read_timeout_s=0.2))

    with pytest.raises(TransportError) as caught:
        hipchat.send_text("hi")

    assert caught.value.permanent is False
    assert caught.value.status is None
    assert "timeout" in caught.value.message


def test_it_reports_401_invalid_oauth_session_as_permanent(fake: HipChatFake) -> None:
    with pytest.raises(TransportError) as caught:
        transport(fake, notification_token="revoked-token").send_text("hi")

    error = caught.value
    assert error.permanent is True
    assert error.status == 401
    assert "Invalid OAuth session" in error.message
    assert '"Invalid OAuth session"' in error.response_text


def test_it_reports_403_missing_scope(fake: HipChatFake) -> None:
    # The message token lacks send_notification.
    with pytest.raises(TransportError) as caught:
        transport(fake, notification_token=MESSAGE_TOKEN).send_text("hi")

    assert caught.value.permanent is True
    assert caught.value.status == 403
    assert "requires one of the following scopes: [u'send_notification']" in caught.value.message


def test_it_reports_404_room_not_found(fake: HipChatFake) -> None:
    with pytest.raises(TransportError) as caught:
        transport(fake, room="No Such Room").send_text("hi")

    assert caught.value.permanent is True
    assert caught.value.status == 404
    assert caught.value.message == "HipChat error: HTTP 404: Room not found"


def test_it_reports_400_with_field(fake: HipChatFake) -> None:
    fake.script(
        Reply(
            status=400,
            body={
                "error": {
                    "code": 400,
                    "type": "Bad Request",
                    "field": "color",
                    "validation": "enum",
                    "value": "grey",
                    "message": "'grey' is not one of ['yellow', 'green']",
                }
            },
        )
    )

    with pytest.raises(TransportError) as caught:
        transport(fake).send_text("hi")

    error = caught.value
    assert error.permanent is True
    assert error.status == 400
    assert error.retry_after_s is None
    assert error.message == (
        "HipChat error: HTTP 400: 'grey' is not one of ['yellow', 'green'] (field color)"
    )
    assert '"field": "color"' in error.response_text


def test_it_shares_png_as_multipart_related_with_caption(fake: HipChatFake) -> None:
    png = tiny_png()
    name = "atsd.jvm.low_memory_atsd_open_Default_20180222_1710596.png"

    sent = transport(fake).send_file(Attachment(name, png, "image/png", "Default for atsd"))

    assert sent.status == 204
    [request] = fake.room_messages("Ops Alerts")
    assert request.endpoint == "share/file"
    assert request.headers["content-type"].startswith("multipart/related; boundary=")
    assert request.headers["authorization"] == f"Bearer {MESSAGE_TOKEN}"
    assert request.metadata == {"message": "Default for atsd"}
    metadata_part, file_part = request.parts
    assert metadata_part.name == "metadata"
    assert metadata_part.content_type == "application/json; charset=UTF-8"
    assert file_part.name == "file"
    assert file_part.filename == name
    assert file_part.content_type == "image/png"
    assert file_part.data == png
    assert request.body.endswith(b"--\r\n")


def test_it_shares_a_text_file_without_caption(fake: HipChatFake) -> None:
    transport(fake).send_file(Attachment("details.txt", b"| a | b |\n", "text/plain"))

    [request] = fake.log
    assert request.status == 204
    assert request.metadata is None
    assert [p.name for p in request.parts] == ["file"]
    assert request.file is not None
    assert request.file.data == b"| a | b |\n"


def test_it_refuses_to_send_without_a_token(fake: HipChatFake) -> None:
    hipchat = transport(fake, notification_token="", message_token="")

    with pytest.raises(TransportError) as caught:
        hipchat.send_text("hi")

    assert caught.value.permanent is True
    assert fake.log == []


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_it_verifies_tls_unless_ignored(hipchat_tls_fake: HipChatFake) -> None:
    fake = hipchat_tls_fake
    fake.add_room("Ops Alerts")
    fake.add_token(TOKEN, scopes=["send_notification"])

    with pytest.raises(TransportError) as caught:
        transport(fake).send_text("hi")
    assert caught.value.permanent is False
    assert caught.value.status is None
    assert "tls" in caught.value.message

    ignoring = HttpSettings(verify_tls=False)
    assert transport(fake, http=ignoring).send_text("hi").status == 204

    assert fake.ca_bundle is not None
    trusting = HttpSettings(ca_bundle=fake.ca_bundle)
    assert transport(fake, http=trusting).send_text("hi").status == 204
    assert len(fake.room_messages("Ops Alerts")) == 2


def test_it_never_puts_tokens_in_errors(
    fake: HipChatFake, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "s3cr3t-token-value-42"
    fake.add_token(secret, scopes=["send_message"])  # wrong scope → 403
    hipchat = transport(fake, notification_token=secret)
    errors: list[TransportError] = []

    with pytest.raises(TransportError) as caught:
        hipchat.send_text("hi")
    errors.append(caught.value)

    fake.script(Reply(status=400, body={"error": {"code": 400, "message": f"bad {secret}"}}))
    with pytest.raises(TransportError) as caught:
        hipchat.send_text("hi")
    errors.append(caught.value)

    fake.script(Reply.dropped())
    with caplog.at_level("DEBUG"), pytest.raises(TransportError) as caught:
        hipchat.send_text("hi")
    errors.append(caught.value)

    closed = transport(fake, base_url=f"http://127.0.0.1:1/?auth_token={secret}")
    with caplog.at_level("DEBUG"), pytest.raises(TransportError) as caught:
        closed.send_text("hi")
    errors.append(caught.value)

    for error in errors:
        for text in (str(error), error.message, error.response_text, repr(error)):
            assert secret not in text
        assert error.__cause__ is None
    assert secret not in caplog.text
    assert "[redacted]" in errors[1].message


def test_it_builds_its_config_from_endpoint_parameters(fake: HipChatFake) -> None:
    config = HipChatConfig.from_parameters(
        {"room": "Ops Alerts", "auth_token": TOKEN, "from": "atsd", "notify": "Default"},
        base_url=fake.url,
    )
    assert config.notify is None
    assert config.message_format == "text"

    HipChatTransport(config).send_text("hi", severity="NORMAL")

    assert fake.log[0].json == {
        "message": "hi",
        "message_format": "text",
        "color": "green",
        "from": "atsd",
    }


def test_it_sends_through_the_configured_proxy_with_credentials(fake: HipChatFake) -> None:
    # An HTTP proxy receives the absolute URL; the fake, acting as the proxy, records it.
    proxied = HttpSettings(proxy_url=fake.url, proxy_username="ops", proxy_password="pw:1")
    base_url = "http://hipchat.example.invalid"

    transport(fake, base_url=base_url, http=proxied).send_text("via proxy")

    [request] = fake.log
    assert request.status == 204
    assert request.headers["host"] == "hipchat.example.invalid"
    expected = base64.b64encode(b"ops:pw:1").decode()
    assert request.headers["proxy-authorization"] == f"Basic {expected}"


# ------------------------------------------- footprints, ids and the room's history


def test_a_read_timeout_may_have_delivered_but_a_refused_connection_did_not(
    fake: HipChatFake,
) -> None:
    fake.script(Reply.held(30))
    hipchat = transport(fake, http=HttpSettings(connect_timeout_s=2, read_timeout_s=0.2))
    with pytest.raises(TransportError) as timed_out:
        hipchat.send_text("hi")
    fake.go_down()
    try:
        with pytest.raises(TransportError) as refused:
            hipchat.send_text("hi")
    finally:
        fake.come_back()

    assert timed_out.value.maybe_delivered is True
    assert refused.value.maybe_delivered is False
    assert len(fake.room_messages(7)) == 1  # the held one did arrive


def test_the_footprint_reaches_the_hook_before_the_request_leaves(fake: HipChatFake) -> None:
    seen: list[tuple[Footprint, int]] = []
    hipchat = transport(fake)
    hipchat.before_send = lambda footprint: seen.append((footprint, len(fake.log)))

    hipchat.send_text("x" * 10_005)
    hipchat.send_file(chart_file())

    assert seen == [
        (Footprint("Ops Alerts", "notification", "x" * 9_997 + "..."), 0),
        (Footprint("Ops Alerts", "message", "Default for atsd", "chart.png"), 1),
    ]


def test_the_history_finds_what_a_request_left_in_the_room(fake: HipChatFake) -> None:
    fake.add_token("reader", scopes=["send_message", "view_messages"])
    hipchat = transport(fake, message_token="reader")
    footprints: list[Footprint] = []
    hipchat.before_send = footprints.append
    since = datetime.now(UTC) - timedelta(seconds=1)

    hipchat.send_text("[OPEN] cpu high")
    hipchat.send_file(chart_file())
    hipchat.send_text("[OPEN] cpu high")

    text, chart = (f.digest() for f in footprints[:2])
    notified = [r.message_id for r in fake.room_messages(7) if r.endpoint == "notification"]
    assert hipchat.arrivals(text, since) == notified
    assert len(notified) == 2
    assert hipchat.arrivals(chart, since) == [fake.room_messages(7)[1].message_id]
    assert hipchat.arrivals(text, datetime.now(UTC) + timedelta(seconds=5)) == []
    other = Footprint("Ops Alerts", "message", "[OPEN] cpu high").digest()
    assert hipchat.arrivals(other, since) == []
    assert fake.log[-1].path == "/v2/room/Ops%20Alerts/history/latest"
    assert fake.log[-1].query["max-results"] == ["1000"]


def test_without_view_messages_the_history_is_unavailable(fake: HipChatFake) -> None:
    with pytest.raises(HistoryUnavailable, match="view_messages"):
        transport(fake).arrivals("digest", datetime.now(UTC))

    assert [r.status for r in fake.log] == [403, 403]  # message token, then notification token
