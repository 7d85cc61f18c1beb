"""The fake webhook receiver enforces its contract: POST to its path, JSON object or
form bodies, size limit, ATSD's signature when it has a secret, 429 with Retry-After."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator

import pytest
import requests

from devtools.fakes.webhook import WebhookReceiver, running_webhook

SECRET = "k"


@pytest.fixture
def hook() -> Iterator[WebhookReceiver]:
    with running_webhook(secret=SECRET, max_bytes=1000) as receiver:
        yield receiver


def signed(body: bytes, **extra: str) -> dict[str, str]:
    sha1 = hmac.new(SECRET.encode(), body, hashlib.sha1).hexdigest()
    return {"x-axi-signature": f"sha1={sha1}", **extra}


def post(hook: WebhookReceiver, body: bytes, content_type: str, headers=None, path=None):
    url = hook.url + (path or hook.path)
    all_headers = {"Content-Type": content_type, **(headers or {})}
    return requests.post(url, data=body, headers=all_headers, timeout=5)


def test_a_signed_json_object_and_a_signed_form_are_accepted(hook):
    json_body, form_body = b'{"status": "OPEN"}', b"status=OPEN&value=1"
    assert post(hook, json_body, "application/json", signed(json_body)).status_code == 200
    form = post(hook, form_body, "application/x-www-form-urlencoded", signed(form_body))
    assert form.status_code == 200
    first, second = hook.received()
    assert first.json == {"status": "OPEN"}
    assert second.fields == {"status": "OPEN", "value": "1"}


@pytest.mark.parametrize(
    ("headers", "problem"),
    [
        ({}, "x-axi-signature is missing"),
        ({"x-axi-signature": "sha1=00"}, "x-axi-signature does not match the body"),
    ],
)
def test_a_missing_or_wrong_signature_is_401(hook, headers, problem):
    answer = post(hook, b"{}", "application/json", headers)
    assert (answer.status_code, answer.json()["error"]) == (401, problem)


def test_a_wrong_sha256_beside_a_right_sha1_is_401(hook):
    headers = signed(b"{}", **{"x-axi-signature-256": "sha256=00"})
    assert post(hook, b"{}", "application/json", headers).status_code == 401


def test_bodies_out_of_contract_are_refused(hook):
    assert post(hook, b"[1]", "application/json", signed(b"[1]")).status_code == 400
    assert post(hook, b"x", "text/plain", signed(b"x")).status_code == 415
    big = b'{"a": "' + b"x" * 1000 + b'"}'
    assert post(hook, big, "application/json", signed(big)).status_code == 413
    assert post(hook, b"{}", "application/json", signed(b"{}"), path="/other").status_code == 404
    assert requests.get(hook.hook_url, timeout=5).status_code == 405
    assert not hook.received()


def test_a_scripted_rate_limit_is_429_with_retry_after(hook):
    hook.script(WebhookReceiver.rate_limited(retry_after=3))
    answer = post(hook, b"{}", "application/json", signed(b"{}"))
    assert (answer.status_code, answer.headers["Retry-After"]) == (429, "3")
