"""WebhookTransport against the fake receiver on loopback (real HTTP): the body in
both content types and ATSD's signature beside a SHA-256 one."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from urllib.parse import parse_qsl

import pytest

from devtools.fakes.webhook import WebhookReceiver, running_webhook
from notifications.channels.base import Footprint, HistoryUnavailable, TransportError
from notifications.channels.http import HttpSettings
from notifications.channels.webhook.transport import (
    FORM,
    JSON,
    WebhookConfig,
    WebhookTransport,
    encode_body,
    signature_headers,
)

SECRET = "s3cret-hook"
FIELDS = {"status": "OPEN", "rule": "disk low", "entity": {"id": "nur", "tags": {"app": "ATSD"}},
          "value": 85.5, "tags": {}}  # fmt: skip


@pytest.fixture
def hook() -> Iterator[WebhookReceiver]:
    with running_webhook(secret=SECRET) as receiver:
        yield receiver


def transport(hook: WebhookReceiver, **overrides) -> WebhookTransport:
    options = {"url": hook.hook_url, "secret": SECRET, "http": HttpSettings(read_timeout_s=5)}
    options.update(overrides)
    return WebhookTransport(WebhookConfig(**options))


def test_the_window_fields_arrive_as_one_signed_json_object(hook):
    sent = transport(hook).send_text(json.dumps(FIELDS))
    [request] = hook.received()
    assert sent.status == 200
    assert request.json == FIELDS
    assert request.header("Content-Type") == JSON
    expected = hmac.new(SECRET.encode(), request.body, hashlib.sha1).hexdigest()
    assert request.header("x-axi-signature") == f"sha1={expected}"
    assert request.header("x-axi-signature-256").startswith("sha256=")


def test_a_form_body_is_the_sorted_url_encoded_pairs_that_are_signed(hook):
    transport(hook, content_type=FORM).send_text(json.dumps(FIELDS))
    [request] = hook.received()
    pairs = parse_qsl(request.body.decode())
    assert [name for name, _ in pairs] == sorted(name for name, _ in pairs)
    assert dict(pairs) == {
        "entity.id": "nur", "entity.tags.app": "ATSD", "rule": "disk low",
        "status": "OPEN", "tags": "{}", "value": "85.5",
    }  # fmt: skip
    assert b"rule=disk+low" in request.body
    assert (
        request.header("x-axi-signature")
        == signature_headers(SECRET, request.body)["x-axi-signature"]
    )


def test_signature_matches_a_published_hmac_vector():
    # RFC 2104 style vector: HMAC-SHA1("key", "The quick brown fox jumps over the lazy dog").
    headers = signature_headers("key", b"The quick brown fox jumps over the lazy dog")
    assert headers["x-axi-signature"] == "sha1=de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9"
    assert headers["x-axi-signature-256"] == (
        "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
    )


def test_without_a_secret_nothing_is_signed(hook):
    hook.secret = ""
    transport(hook, secret="").send_text(json.dumps(FIELDS))
    [request] = hook.received()
    assert not request.header("x-axi-signature")


def test_a_wrong_secret_is_a_permanent_401(hook):
    with pytest.raises(TransportError) as caught:
        transport(hook, secret="other").send_text(json.dumps(FIELDS))
    assert caught.value.permanent
    assert caught.value.status == 401


def test_a_plain_text_goes_as_a_message_object(hook):
    transport(hook).send_text("Hello from Axibase Time Series Database")
    assert hook.received()[0].json == {"message": "Hello from Axibase Time Series Database"}


def test_429_waits_for_retry_after_and_5xx_is_transient(hook):
    hook.script(WebhookReceiver.rate_limited(retry_after=4))
    with pytest.raises(TransportError) as caught:
        transport(hook).send_text("x")
    assert (caught.value.permanent, caught.value.retry_after_s) == (False, 4)


def test_the_footprint_is_the_body_and_no_history_can_be_read(hook):
    seen: list[Footprint] = []
    t = transport(hook)
    t.before_send = seen.append
    t.send_text(json.dumps(FIELDS))
    assert seen == [Footprint(hook.hook_url, "webhook", encode_body(FIELDS, JSON).decode())]
    with pytest.raises(HistoryUnavailable):
        t.arrivals("digest", since=None)  # type: ignore[arg-type]


def test_configuration_errors_are_permanent(hook):
    with pytest.raises(TransportError, match="URL is not set"):
        transport(hook, url=" ")
    with pytest.raises(TransportError, match="content type"):
        transport(hook, content_type="text/xml")
    assert WebhookTransport.sends_window_fields
