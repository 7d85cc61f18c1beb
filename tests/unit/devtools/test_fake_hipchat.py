"""The fake HipChat server enforces the checklist of hipchat-v2.md §4.

These tests speak raw HTTP with ``requests`` (not the product client), so they
prove the fake itself: each rule of the checklist is one test.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
import requests

from devtools.fakes.hipchat import PNG_SIGNATURE, HipChatFake, Reply, running_fake

PNG = PNG_SIGNATURE + b"\x00\x00\x00\rIHDR-not-a-real-image"
TOKEN = "full-token"
LIMIT_HEADERS = {
    "X-Ratelimit-Limit",
    "X-Ratelimit-Remaining",
    "X-Ratelimit-Reset",
    "X-FloodControl-Limit",
    "X-FloodControl-Remaining",
    "X-FloodControl-Reset",
}


class Clock:
    """A settable Unix clock for the limit windows."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fake(hipchat_fake: HipChatFake) -> HipChatFake:
    hipchat_fake.add_room("Ops Alerts", room_id=2)
    hipchat_fake.add_token(TOKEN, scopes=["send_notification", "send_message", "view_room"])
    return hipchat_fake


def call(
    fake: HipChatFake,
    method: str,
    path: str,
    *,
    token: str | None = TOKEN,
    query: bool = False,
    **kwargs: Any,
) -> requests.Response:
    headers = dict(kwargs.pop("headers", {}))
    params = dict(kwargs.pop("params", {}))
    if token is not None and query:
        params["auth_token"] = token
    elif token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return requests.request(
        method, fake.url + path, headers=headers, params=params, timeout=10, **kwargs
    )


def notify(
    fake: HipChatFake, body: Any, room: str = "Ops%20Alerts", **kw: Any
) -> requests.Response:
    return call(fake, "POST", f"/v2/room/{room}/notification", json=body, **kw)


def notify_waiting(fake: HipChatFake, *, read_timeout_s: float) -> requests.Response:
    """``{"message": "hi"}`` to room 2, waiting only ``read_timeout_s`` for the answer."""
    return requests.post(
        fake.url + "/v2/room/2/notification",
        json={"message": "hi"},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=(5, read_timeout_s),
    )


def error_of(response: requests.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == response.status_code
    assert body["error"]["type"] == response.reason
    return body["error"]


def multipart(
    parts: list[tuple[list[str], bytes]],
    boundary: str = "b0undary",
    eol: bytes = b"\r\n",
    close: bool = True,
) -> tuple[bytes, str]:
    chunks: list[bytes] = []
    for headers, data in parts:
        chunks.append(b"--" + boundary.encode())
        chunks.extend(h.encode() for h in headers)
        chunks.append(b"")
        chunks.append(data)
    if close:
        chunks.append(b"--" + boundary.encode() + b"--")
    return eol.join(chunks) + eol, f"multipart/related; boundary={boundary}"


def share(fake: HipChatFake, body: bytes, content_type: str) -> requests.Response:
    return call(
        fake,
        "POST",
        "/v2/room/Ops%20Alerts/share/file",
        data=body,
        headers={"Content-Type": content_type},
    )


METADATA = [
    "Content-Type: application/json; charset=UTF-8",
    'Content-Disposition: attachment; name="metadata"',
]
PNG_PART = [
    "Content-Type: image/png",
    'Content-Disposition: attachment; name="file"; filename="chart.png"',
]


# ---------------------------------------------------------------- 1. routing


def test_it_routes_every_endpoint(fake: HipChatFake) -> None:
    fake.add_user("Ops Bot", "opsbot", "bot@example.org")
    fake.add_token("admin", scopes=["view_group"])

    assert notify(fake, {"message": "hi"}).status_code == 204
    assert call(fake, "POST", "/v2/room/2/message", json={"message": "hi"}).status_code == 201
    body, ctype = multipart([(PNG_PART, PNG)])
    assert share(fake, body, ctype).status_code == 204
    room = call(fake, "GET", "/v2/room/2").json()
    assert (room["id"], room["name"]) == (2, "Ops Alerts")
    assert {"xmpp_jid", "privacy", "is_archived", "links", "statistics"} <= set(room)
    user = call(fake, "GET", "/v2/user/@opsbot", token="admin").json()
    assert user["email"] == "bot@example.org"


def test_it_serves_under_a_configurable_prefix() -> None:
    with running_fake(prefix="/hipchat") as fake:
        fake.add_room("r")
        fake.add_token(TOKEN)
        assert fake.url.endswith("/hipchat")
        assert notify(fake, {"message": "hi"}, room="r").status_code == 204
        direct = requests.post(
            f"http://127.0.0.1:{fake.port}/v2/room/r/notification",
            json={"message": "hi"},
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=10,
        )
        assert direct.status_code == 404


def test_it_answers_405_to_a_wrong_method(fake: HipChatFake) -> None:
    response = call(fake, "GET", "/v2/room/2/notification")
    assert response.status_code == 405
    assert error_of(response)["type"] == "Method Not Allowed"


def test_it_answers_404_to_unknown_paths_and_rooms(fake: HipChatFake) -> None:
    assert error_of(call(fake, "POST", "/v2/rooms/2/notification"))["code"] == 404
    assert error_of(call(fake, "POST", "/v1/rooms/message"))["code"] == 404
    response = notify(fake, {"message": "hi"}, room="Nope")
    assert error_of(response)["message"] == "Room not found"


def test_it_keeps_plus_literal_in_room_names(fake: HipChatFake) -> None:
    response = notify(fake, {"message": "hi"}, room="Ops+Alerts")

    assert response.status_code == 404
    assert error_of(response)["message"] == "Room not found"
    assert notify(fake, {"message": "hi"}, room="Ops%20Alerts").status_code == 204


def test_it_treats_all_digits_as_an_id(fake: HipChatFake) -> None:
    named_like_a_number = fake.add_room("12345")

    assert notify(fake, {"message": "hi"}, room="2").status_code == 204
    assert notify(fake, {"message": "hi"}, room="12345").status_code == 404
    assert fake.room_messages(named_like_a_number) == []


def test_it_rejects_empty_and_over_long_room_names(fake: HipChatFake) -> None:
    fake.add_room("r" * 100)

    assert notify(fake, {"message": "hi"}, room="").status_code == 400
    assert notify(fake, {"message": "hi"}, room="r" * 101).status_code == 400
    assert notify(fake, {"message": "hi"}, room="r" * 100).status_code == 204


# ------------------------------------------------------------------- 2. auth


def test_it_accepts_bearer_header_and_query_token_and_records_which(fake: HipChatFake) -> None:
    assert notify(fake, {"message": "a"}).status_code == 204
    assert notify(fake, {"message": "b"}, query=True).status_code == 204

    assert [r.auth_method for r in fake.log] == ["header", "query"]
    assert [r.token for r in fake.log] == [TOKEN, TOKEN]


def test_it_answers_401_without_a_token(fake: HipChatFake) -> None:
    response = notify(fake, {"message": "hi"}, token=None)

    assert response.status_code == 401
    assert error_of(response)["message"].startswith("Authenticated requests only.")


def test_it_answers_401_invalid_oauth_session_to_an_unknown_token(fake: HipChatFake) -> None:
    response = notify(fake, {"message": "hi"}, token="v1-admin-token")

    assert response.status_code == 401
    assert error_of(response)["message"] == "Invalid OAuth session"


def test_it_answers_403_when_a_scope_is_missing(fake: HipChatFake) -> None:
    fake.add_token("notify-only", scopes=["send_notification"])

    response = call(fake, "GET", "/v2/room/2", token="notify-only")

    assert response.status_code == 403
    assert error_of(response)["message"] == (
        "This action requires one of the following scopes: [u'view_group', u'view_room']"
    )


def test_it_limits_room_notification_tokens_to_their_room_and_to_notifications(
    fake: HipChatFake,
) -> None:
    other = fake.add_room("Other")
    room_token = fake.add_token(scopes=["send_notification"], room=other)

    assert notify(fake, {"message": "hi"}, room="Other", token=room_token).status_code == 204
    assert notify(fake, {"message": "hi"}, token=room_token).status_code == 403
    message = call(fake, "POST", "/v2/room/Other/message", json={"message": "x"}, token=room_token)
    assert message.status_code == 403
    assert len(fake.room_messages(other)) == 1


def test_it_answers_auth_test_with_202_and_no_side_effects(fake: HipChatFake) -> None:
    fake.flood_limit = 1

    response = notify(fake, {"message": "hi"}, params={"auth_test": "true"})

    assert response.status_code == 202
    assert response.json() == {
        "success": {
            "code": 202,
            "type": "Accepted",
            "message": "This auth_token has access to use this method.",
        }
    }
    assert fake.room_messages("Ops Alerts") == []
    assert notify(fake, {"message": "counted"}).status_code == 204  # the test used no budget
    assert (
        notify(fake, {"message": "bad"}, token="nope", params={"auth_test": "true"}).status_code
        == 401
    )


# ---------------------------------------------------- 3. notification fields


def test_it_answers_204_with_an_empty_body(fake: HipChatFake) -> None:
    body = {
        "from": "alert-engine",
        "message_format": "html",
        "color": "red",
        "notify": True,
        "message": '<b>CPU &gt; 90%</b> on <a href="https://x/rule/7">web-1</a>',
    }
    response = notify(fake, body)

    assert response.status_code == 204
    assert response.content == b""
    assert fake.room_messages("Ops Alerts")[0].json == body


def test_it_rejects_invalid_json(fake: HipChatFake) -> None:
    response = call(
        fake,
        "POST",
        "/v2/room/2/notification",
        data=b"{message: hi",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert "JSON" in error_of(response)["message"]


@pytest.mark.parametrize(
    ("body", "field", "validation"),
    [
        ({}, "message", "required"),
        ({"message": ""}, "message", "length"),
        ({"message": "x" * 10001}, "message", "length"),
        ({"message": "é" * 10001}, "message", "length"),
        ({"message": "hi", "from": "f" * 65}, "from", "length"),
        ({"message": "hi", "color": "grey"}, "color", "enum"),
        ({"message": "hi", "color": "blue"}, "color", "enum"),
        ({"message": "hi", "message_format": "markdown"}, "message_format", "enum"),
        ({"message": "hi", "notify": "true"}, "notify", "type"),
        ({"message": "hi", "notify": 1}, "notify", "type"),
        ({"message": "hi", "attach_to": None}, "attach_to", "type"),
        ({"message": "hi", "attach_to": "a" * 37}, "attach_to", "length"),
    ],
)
def test_it_rejects_invalid_notification_fields(
    fake: HipChatFake, body: dict[str, Any], field: str, validation: str
) -> None:
    response = notify(fake, body)

    assert response.status_code == 400
    error = error_of(response)
    assert (error["field"], error["validation"]) == (field, validation)
    if validation != "required":
        assert error["value"] == body[field]
    assert fake.room_messages("Ops Alerts") == []


def test_it_explains_a_non_boolean_notify_as_hipchat_did(fake: HipChatFake) -> None:
    error = error_of(notify(fake, {"message": "hi", "notify": "true"}))

    assert error["expected_type"] == "boolean"
    assert error["message"] == "Value 'true' for field 'notify' is not of type 'boolean'"


@pytest.mark.parametrize("message", ["x" * 10000, "é" * 10000, "x"])
def test_it_counts_message_length_in_characters(fake: HipChatFake, message: str) -> None:
    assert notify(fake, {"message": message}).status_code == 204


def test_it_accepts_string_notify_in_lenient_mode() -> None:
    with running_fake(lenient_notify=True) as fake:
        fake.add_room("r")
        fake.add_token(TOKEN)
        assert notify(fake, {"message": "hi", "notify": "true"}, room="r").status_code == 204
        assert notify(fake, {"message": "hi", "notify": "yes"}, room="r").status_code == 400


def test_it_switches_the_from_limit_to_25() -> None:
    with running_fake(from_max=25) as fake:
        fake.add_room("r")
        fake.add_token(TOKEN)
        assert notify(fake, {"message": "hi", "from": "f" * 25}, room="r").status_code == 204
        assert notify(fake, {"message": "hi", "from": "f" * 26}, room="r").status_code == 400


def test_it_accepts_every_documented_colour(fake: HipChatFake) -> None:
    for color in ("yellow", "green", "red", "purple", "gray", "random"):
        assert notify(fake, {"message": "hi", "color": color}).status_code == 204


def test_it_accepts_unknown_fields_unless_strict(fake: HipChatFake) -> None:
    assert notify(fake, {"message": "hi", "extra": 1}).status_code == 204

    fake.reject_unknown_fields = True
    response = notify(fake, {"message": "hi", "extra": 1})
    assert response.status_code == 400
    assert error_of(response)["field"] == "extra"


@pytest.mark.parametrize(
    ("card", "field"),
    [
        ("not-an-object", "card"),
        ({"style": "poster", "id": "1", "title": "t"}, "card.style"),
        ({"style": "application", "title": "t"}, "card.id"),
        ({"style": "application", "id": "1", "title": ""}, "card.title"),
        ({"style": "application", "id": "1", "title": "t" * 501}, "card.title"),
        (
            {"style": "link", "id": "1", "title": "t", "description": {"value": "d" * 1001}},
            "card.description.value",
        ),
        ({"style": "link", "id": "1", "title": "t", "format": "large"}, "card.format"),
        (
            {"style": "image", "id": "1", "title": "t", "thumbnail": {"url": ""}},
            "card.thumbnail.url",
        ),
        (
            {"style": "application", "id": "1", "title": "t", "attributes": [{"label": "l" * 51}]},
            "card.attributes.label",
        ),
    ],
)
def test_it_validates_cards(fake: HipChatFake, card: Any, field: str) -> None:
    response = notify(fake, {"message": "fallback", "card": card})

    assert response.status_code == 400
    assert error_of(response)["field"] == field


def test_it_accepts_a_valid_card(fake: HipChatFake) -> None:
    card = {
        "style": "application",
        "id": "1",
        "title": "CPU high",
        "format": "medium",
        "description": {"value": "<b>web-1</b>", "format": "html"},
        "attributes": [{"label": "Entity", "value": {"label": "web-1"}}],
    }
    assert notify(fake, {"message": "fallback", "card": card}).status_code == 204


# ---------------------------------------------------------------- 4. message


def test_it_answers_a_message_with_201_id_and_timestamp(fake: HipChatFake) -> None:
    response = call(fake, "POST", "/v2/room/2/message", json={"message": "links"})

    assert response.status_code == 201
    assert set(response.json()) == {"id", "timestamp"}


@pytest.mark.parametrize("message", ["", "m" * 1001])
def test_it_limits_messages_to_1000(fake: HipChatFake, message: str) -> None:
    response = call(fake, "POST", "/v2/room/2/message", json={"message": message})
    assert response.status_code == 400
    assert error_of(response)["field"] == "message"


def test_it_accepts_a_message_id_for_attach_to(fake: HipChatFake) -> None:
    message_id = call(fake, "POST", "/v2/room/2/message", json={"message": "m"}).json()["id"]

    assert notify(fake, {"message": "reply", "attach_to": message_id}).status_code == 204
    assert notify(fake, {"message": "reply", "attach_to": "no-such-id"}).status_code == 400


# ------------------------------------------------------------- 5. share file


def test_it_stores_a_shared_png_with_its_caption(fake: HipChatFake) -> None:
    body, ctype = multipart([(METADATA, b'{"message": "Default for atsd"}'), (PNG_PART, PNG)])

    response = share(fake, body, ctype)

    assert response.status_code == 204
    [request] = fake.room_messages("Ops Alerts")
    assert request.metadata == {"message": "Default for atsd"}
    assert request.file is not None
    assert (request.file.filename, request.file.content_type, request.file.data) == (
        "chart.png",
        "image/png",
        PNG,
    )


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "multipart/form-data; boundary=b0undary", "multipart/related"],
)
def test_it_requires_multipart_related_with_a_boundary(
    fake: HipChatFake, content_type: str
) -> None:
    body, _ = multipart([(PNG_PART, PNG)])
    response = share(fake, body, content_type)
    assert response.status_code == 400


def test_it_can_answer_415_to_a_wrong_content_type() -> None:
    with running_fake(share_file_wrong_type_status=415) as fake:
        fake.add_room("Ops Alerts")
        fake.add_token(TOKEN)
        assert share(fake, b"{}", "application/json").status_code == 415


def test_it_tolerates_what_hipchat_go_sent(fake: HipChatFake) -> None:
    # hipchat-go NewFileUploadRequest: bare LF, unquoted name=, unescaped JSON,
    # base64 file with an odd part type, no closing delimiter.
    encoded = base64.encodebytes(PNG)
    body, ctype = multipart(
        [
            (
                [
                    "Content-Type: application/json; charset=UTF-8",
                    "Content-Disposition: attachment; name=metadata",
                ],
                b'{"message": "say "hi""}',
            ),
            (
                [
                    "Content-Type: image/png; charset=UTF-8",
                    "Content-Transfer-Encoding: base64",
                    "Content-Disposition: attachment; name=file; filename=chart.png",
                ],
                encoded,
            ),
        ],
        eol=b"\n",
        close=False,
    )

    assert share(fake, body, ctype).status_code == 204
    [request] = fake.room_messages("Ops Alerts")
    assert request.metadata == {"message": 'say "hi"'}
    assert request.file is not None
    assert request.file.data == PNG


def test_it_requires_a_file_part_with_a_filename(fake: HipChatFake) -> None:
    only_metadata, ctype = multipart([(METADATA, b'{"message": "x"}')])
    assert error_of(share(fake, only_metadata, ctype))["field"] == "file"

    no_name = ["Content-Type: image/png", 'Content-Disposition: attachment; name="file"']
    body, ctype = multipart([(no_name, PNG)])
    assert error_of(share(fake, body, ctype))["field"] == "filename"


def test_it_limits_the_caption_to_1000(fake: HipChatFake) -> None:
    caption = json.dumps({"message": "c" * 1001}).encode()
    body, ctype = multipart([(METADATA, caption), (PNG_PART, PNG)])
    assert error_of(share(fake, body, ctype))["field"] == "message"

    caption = json.dumps({"message": "c" * 1000}).encode()
    body, ctype = multipart([(METADATA, caption), (PNG_PART, PNG)])
    assert share(fake, body, ctype).status_code == 204


def test_it_checks_the_png_signature(fake: HipChatFake) -> None:
    body, ctype = multipart([(PNG_PART, base64.b64encode(PNG))])  # encoded, but not declared
    response = share(fake, body, ctype)
    assert response.status_code == 400
    assert error_of(response)["validation"] == "png"


# ---------------------------------------------------------------- 6. limits


def test_it_sends_the_six_limit_headers_on_every_response(fake: HipChatFake) -> None:
    responses = [
        notify(fake, {"message": "hi"}),
        notify(fake, {"message": ""}),
        notify(fake, {"message": "hi"}, token=None),
        call(fake, "GET", "/nowhere"),
    ]
    for response in responses:
        assert set(response.headers) >= LIMIT_HEADERS
        assert int(response.headers["X-Ratelimit-Reset"]) > 1_000_000_000


def test_it_limits_each_token_per_window() -> None:
    clock = Clock()
    with running_fake(token_limit=3, token_period_s=300, clock=clock) as fake:
        fake.add_room("a")
        fake.add_room("b")
        fake.add_token(TOKEN)
        fake.add_token("other")
        statuses = [notify(fake, {"message": "m"}, room=r).status_code for r in "abab"]
        limited = notify(fake, {"message": "m"}, room="a")
        other = notify(fake, {"message": "m"}, room="a", token="other")
        clock.now += 301
        after = notify(fake, {"message": "m"}, room="a")

    assert statuses == [204, 204, 204, 429]
    assert error_of(limited)["message"] == "Rate Limit exceeded"
    assert limited.headers["X-Ratelimit-Remaining"] == "0"
    assert int(limited.headers["X-Ratelimit-Reset"]) == int(clock.now - 301 + 300)
    assert other.status_code == 204
    assert after.status_code == 204


def test_it_applies_flood_control_per_room() -> None:
    clock = Clock()
    with running_fake(clock=clock) as fake:
        fake.add_room("a")
        fake.add_room("b")
        fake.add_token(TOKEN)
        for i in range(30):
            assert notify(fake, {"message": str(i)}, room="a").status_code == 204
        flooded = notify(fake, {"message": "31"}, room="a")
        other_room = notify(fake, {"message": "1"}, room="b")
        clock.now += 60
        next_minute = notify(fake, {"message": "32"}, room="a")

    assert flooded.status_code == 429
    assert flooded.headers["X-FloodControl-Remaining"] == "0"
    assert flooded.headers["X-Ratelimit-Remaining"] != "0"
    assert other_room.status_code == 204
    assert next_minute.status_code == 204


def test_it_forces_429_with_a_chosen_reset(fake: HipChatFake) -> None:
    fake.script(Reply.rate_limited(reset_in_s=120))

    response = notify(fake, {"message": "hi"})

    assert response.status_code == 429
    assert error_of(response)["message"] == "Rate Limit exceeded"
    assert response.headers["X-Ratelimit-Remaining"] == "0"
    reset = int(response.headers["X-Ratelimit-Reset"])
    assert fake.log[0].received_at + 119 <= reset <= fake.log[0].received_at + 121
    assert notify(fake, {"message": "hi"}).status_code == 204


def test_it_forces_a_v1_style_403(fake: HipChatFake) -> None:
    fake.script(Reply.v1_rate_limited())

    response = notify(fake, {"message": "hi"})

    assert response.status_code == 403
    assert "exceeded the rate limit" in error_of(response)["message"]


# ---------------------------------------------------------------- 7. faults


def test_it_plays_a_script_in_order(fake: HipChatFake) -> None:
    fake.script(Reply.rate_limited(reset_in_s=2), times=5)
    fake.script(Reply(status=503), times=2)

    statuses = [notify(fake, {"message": str(i)}).status_code for i in range(8)]

    assert statuses == [429] * 5 + [503] * 2 + [204]
    assert [r.json["message"] for r in fake.log] == [str(i) for i in range(8)]
    assert all(r.scripted for r in fake.log[:7])


@pytest.mark.parametrize("status", [500, 502, 503])
def test_it_scripts_server_errors_with_error_bodies(fake: HipChatFake, status: int) -> None:
    fake.script(Reply(status=status))
    assert error_of(notify(fake, {"message": "hi"}))["code"] == status


def test_it_scripts_only_the_named_endpoint(fake: HipChatFake) -> None:
    fake.script(Reply(status=500, endpoint="share/file"))

    assert notify(fake, {"message": "hi"}).status_code == 204
    body, ctype = multipart([(PNG_PART, PNG)])
    assert share(fake, body, ctype).status_code == 500


def test_it_replies_slower_than_the_client_waits(fake: HipChatFake) -> None:
    fake.script(Reply.slow(delay_s=30))

    with pytest.raises(requests.ReadTimeout):
        notify_waiting(fake, read_timeout_s=0.2)


def test_it_resets_the_connection(fake: HipChatFake) -> None:
    fake.script(Reply.dropped())

    with pytest.raises(requests.ConnectionError):
        notify(fake, {"message": "hi"})

    [request] = fake.wait_for_requests(1)
    assert request.status == 0
    assert request.json == {"message": "hi"}


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_it_serves_https_with_a_self_signed_certificate(hipchat_tls_fake: HipChatFake) -> None:
    fake = hipchat_tls_fake
    fake.add_room("r")
    fake.add_token(TOKEN)
    url = fake.url + "/v2/room/r/notification"
    auth = {"Authorization": f"Bearer {TOKEN}"}

    assert url.startswith("https://")
    with pytest.raises(requests.exceptions.SSLError):
        requests.post(url, json={"message": "hi"}, headers=auth, timeout=10)
    unverified = requests.post(url, json={"message": "hi"}, headers=auth, timeout=10, verify=False)  # noqa: S501  self-signed on purpose
    pinned = requests.post(
        url, json={"message": "hi"}, headers=auth, timeout=10, verify=fake.ca_bundle
    )
    assert (unverified.status_code, pinned.status_code) == (204, 204)


# ------------------------------------------------------------- 8. recording


def test_it_logs_every_request_with_its_outcome(fake: HipChatFake) -> None:
    notify(fake, {"message": "hi", "color": "red"}, headers={"X-Trace": "t1"}, params={"a": "1"})
    notify(fake, {"message": ""})

    first, second = fake.log
    assert (first.method, first.path, first.query) == (
        "POST",
        "/v2/room/Ops%20Alerts/notification",
        {"a": ["1"]},
    )
    assert first.headers["x-trace"] == "t1"
    assert first.json == {"message": "hi", "color": "red"}
    assert first.room is not None
    assert first.room.id == 2
    assert first.endpoint == "notification"
    assert first.status == 204
    assert first.accepted
    assert second.status == 400
    assert not second.accepted
    assert second.response_body["error"]["field"] == "message"
    assert [r.json["message"] for r in fake.room_messages(2)] == ["hi"]


def test_it_keeps_room_order_in_history(fake: HipChatFake) -> None:
    fake.add_token("reader", scopes=["view_messages"])
    notify(fake, {"message": "<b>up</b>", "color": "red", "from": "atsd"})
    body, ctype = multipart([(METADATA, b'{"message": "Default for atsd"}'), (PNG_PART, PNG)])
    share(fake, body, ctype)
    posted = call(fake, "POST", "/v2/room/2/message", json={"message": "https://x/portal"})

    history = call(fake, "GET", "/v2/room/2/history", token="reader").json()

    notification, upload, message = history["items"]
    assert (history["startIndex"], history["maxResults"]) == (0, 75)
    assert notification["type"] == "notification"
    assert notification["from"] == "atsd"
    assert (notification["message"], notification["message_format"]) == ("<b>up</b>", "html")
    assert notification["color"] == "red"
    # A shared file is a message of its own with the caption as its text.
    assert (upload["type"], upload["message"]) == ("message", "Default for atsd")
    assert (upload["file"]["name"], upload["file"]["size"]) == ("chart.png", len(PNG))
    assert (message["type"], message["message"]) == ("message", "https://x/portal")
    assert message["id"] == posted.json()["id"]
    assert len({i["id"] for i in history["items"]}) == 3
    dates = [datetime.fromisoformat(i["date"]) for i in history["items"]]
    assert dates == sorted(dates)
    assert all(d.tzinfo is not None for d in dates)


def test_recent_history_is_the_newest_75_and_a_date_query_pages() -> None:
    with running_fake(flood_limit=100) as fake:
        fake.add_room("Ops Alerts", room_id=2)
        fake.add_token(TOKEN, scopes=["send_notification", "view_messages"])
        for i in range(80):
            assert notify(fake, {"message": f"m{i}"}).status_code == 204

        def texts(**params: str) -> list[str]:
            answer = call(fake, "GET", "/v2/room/2/history", params=params)
            return [i["message"] for i in answer.json()["items"]]

        assert texts() == [f"m{i}" for i in range(5, 80)]
        now = str(time.time() + 1)
        assert texts(date=now, **{"max-results": "3"}) == ["m77", "m78", "m79"]
        page = {"max-results": "3", "start-index": "3", "reverse": "false"}
        assert texts(date=now, **page) == ["m76", "m75", "m74"]


def test_latest_history_starts_at_not_before(fake: HipChatFake) -> None:
    fake.add_token("reader", scopes=["view_messages"])
    for i in range(5):
        notify(fake, {"message": f"m{i}"})

    def latest(**params: str) -> list[dict[str, Any]]:
        path = "/v2/room/2/history/latest"
        return call(fake, "GET", path, token="reader", params=params).json()["items"]

    items = latest(**{"max-results": "2"})
    assert [i["message"] for i in items] == ["m3", "m4"]
    wanted = latest()[1]["id"]
    assert [i["message"] for i in latest(**{"not-before": wanted})] == ["m1", "m2", "m3", "m4"]
    too_many = call(fake, "GET", "/v2/room/2/history/latest", token="reader",
                    params={"max-results": "1001"})  # fmt: skip
    assert too_many.status_code == 400
    assert error_of(too_many)["field"] == "max-results"


def test_history_needs_the_view_messages_scope(fake: HipChatFake) -> None:
    answer = call(fake, "GET", "/v2/room/2/history/latest")  # TOKEN has view_room only

    assert answer.status_code == 403
    assert "view_messages" in error_of(answer)["message"]


def test_it_counts_the_scripted_replies_not_yet_used(fake: HipChatFake) -> None:
    fake.script(Reply(status=500), times=2)
    fake.script(Reply(status=502))

    notify(fake, {"message": "hi"})

    assert fake.scripted_left == 2


def test_a_held_answer_comes_late_but_the_message_is_already_in_the_room(
    fake: HipChatFake,
) -> None:
    fake.script(Reply.held(30))

    with pytest.raises(requests.ReadTimeout):
        notify_waiting(fake, read_timeout_s=0.2)

    [posted] = fake.room_messages(2)
    assert posted.json == {"message": "hi"}
    assert posted.status == 204


def test_an_outage_refuses_connections_and_keeps_the_room(fake: HipChatFake) -> None:
    notify(fake, {"message": "before"})
    port = fake.port

    fake.go_down()
    with pytest.raises(requests.ConnectionError):
        notify(fake, {"message": "during"})
    fake.come_back()

    assert fake.port == port
    assert notify(fake, {"message": "after"}).status_code == 204
    assert [r.json["message"] for r in fake.room_messages(2)] == ["before", "after"]


def test_a_timed_outage_refuses_connections_then_serves_again_by_itself(
    fake: HipChatFake,
) -> None:
    fake.go_down(for_s=0.5)

    assert fake.down
    with pytest.raises(requests.ConnectionError):
        notify(fake, {"message": "during"})
    poll_until(lambda: not fake.down, timeout=5)

    assert notify(fake, {"message": "after"}).status_code == 204
    assert [r.json["message"] for r in fake.room_messages(2)] == ["after"]
    assert fake.log[-1].json == {"message": "after"}  # the refused request never arrived


def test_an_outage_cuts_kept_alive_connections(fake: HipChatFake) -> None:
    with requests.Session() as session:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        url = fake.url + "/v2/room/2/notification"
        assert session.post(url, json={"message": "a"}, headers=headers, timeout=5).ok

        fake.go_down()
        try:
            with pytest.raises(requests.ConnectionError):
                session.post(url, json={"message": "b"}, headers=headers, timeout=5)
        finally:
            fake.come_back()

    assert [r.json["message"] for r in fake.room_messages(2)] == ["a"]


def test_an_outage_answering_503_logs_each_request_and_acts_on_none(fake: HipChatFake) -> None:
    fake.go_down(status=503)

    answer = notify(fake, {"message": "during"})
    fake.come_back()
    after = notify(fake, {"message": "after"})

    assert answer.status_code == 503
    assert error_of(answer)["message"] == "Service Unavailable"
    assert after.status_code == 204
    assert [r.json["message"] for r in fake.room_messages(2)] == ["after"]
    during = fake.log[0]
    assert (during.status, during.scripted, during.accepted) == (503, True, False)
    assert int(after.headers["X-FloodControl-Remaining"]) == fake.flood_limit - 1


def test_a_timed_503_outage_ends_by_itself(fake: HipChatFake) -> None:
    fake.go_down(for_s=0.5, status=503)

    assert notify(fake, {"message": "during"}).status_code == 503
    poll_until(lambda: not fake.down, timeout=5)

    assert notify(fake, {"message": "after"}).status_code == 204


def poll_until(condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not within the timeout"
        time.sleep(0.05)


def test_it_resets_through_its_reset_endpoint(fake: HipChatFake) -> None:
    notify(fake, {"message": "hi"})
    fake.script(Reply(status=500), times=3)

    assert requests.post(fake.url + "/_fake/reset", timeout=10).status_code == 204

    assert fake.log == []
    assert notify(fake, {"message": "hi"}).status_code == 204


def test_wait_for_returns_as_soon_as_the_predicate_holds(fake: HipChatFake) -> None:
    with pytest.raises(AssertionError, match=r"not met within 0\.1s"):
        fake.wait_for(lambda log: len(log) > 0, timeout=0.1)

    notify(fake, {"message": "hi"})

    log = fake.wait_for(lambda log: any(r.accepted for r in log), timeout=5)
    assert len(log) == 1
