"""The fake Service Bus enforces the SAS contract, the entity path, the size limit and
answers 201; tokens here are built by hand as Azure's documentation shows, so these tests
prove the fake, not the product transport."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Iterator
from urllib.parse import quote, quote_plus

import pytest
import requests

from devtools.fakes.azure_sb import AzureServiceBusFake, busy

KEY_NAME, KEY = "send", "fake-key"


@pytest.fixture
def fake() -> Iterator[AzureServiceBusFake]:
    with AzureServiceBusFake() as server:
        server.add_key(KEY_NAME, KEY)
        server.add_entity("q")
        yield server


def _token(uri: str, *, key: str = KEY, key_name: str = KEY_NAME, expiry: int = 0) -> str:
    expiry = expiry or int(time.time()) + 60
    encoded = quote_plus(uri)
    mac = hmac.new(key.encode(), f"{encoded}\n{expiry}".encode(), hashlib.sha256).digest()
    signature = quote(base64.b64encode(mac))
    return f"SharedAccessSignature sr={encoded}&sig={signature}&se={expiry}&skn={key_name}"


def _post(
    fake, path: str = "/q/messages", body: bytes = b"m", **token: object
) -> requests.Response:
    uri = str(token.pop("uri", f"{fake.url}/q"))
    headers = {"Authorization": _token(uri, **token)}  # type: ignore[arg-type]
    return requests.post(fake.url + path, data=body, headers=headers, timeout=5)


def test_a_signed_message_is_created(fake):
    assert _post(fake, body=b'{"a": 1}').status_code == 201
    assert [m.body for m in fake.messages("q")] == [b'{"a": 1}']


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ({"key": "wrong"}, "InvalidSignature"),
        ({"key_name": "other"}, "InvalidSignature"),
        ({"expiry": 1_000_000}, "ExpiredToken"),
        ({"uri": "http://127.0.0.1/other"}, "InvalidAudience"),
    ],
)
def test_a_token_with_the_wrong_key_expiry_or_resource_is_401(fake, token, reason):
    answer = _post(fake, **token)
    assert (answer.status_code, reason in answer.text) == (401, True)
    assert fake.messages("q") == []


def test_no_token_is_401_an_unknown_entity_404_a_large_body_413(fake):
    assert requests.post(f"{fake.url}/q/messages", data=b"m", timeout=5).status_code == 401
    assert _post(fake, "/nope/messages", uri=f"{fake.url}/nope").status_code == 404
    assert _post(fake, body=b"x" * (256 * 1024 + 1)).status_code == 413


def test_scripted_busy_answers_then_created(fake):
    fake.script(busy())
    fake.script(busy(retry_after_s=3))
    first, second, third = (_post(fake) for _ in range(3))
    assert (first.status_code, second.status_code, third.status_code) == (503, 429, 201)
    assert second.headers["Retry-After"] == "3"
