"""The fake Pub/Sub checks the service account's JWT with google-auth, the topic and the
message limits; tokens here are signed with google-auth directly, so these tests prove
the fake, not the product transport."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator

import pytest
import requests
from google.auth import crypt, jwt

from devtools.fakes.gcp_ps import AUDIENCE, PubSubFake, exhausted
from tests.unit.channels.gcp_common import EMAIL, KEY_ID, service_account, trust_the_account

PATH = "/v1/projects/shop-prod/topics/orders:publish"


@pytest.fixture
def fake() -> Iterator[PubSubFake]:
    with PubSubFake() as server:
        yield trust_the_account(server)


def _token(*, signer_key: str = KEY_ID, kid: str = KEY_ID, **claims: object) -> str:
    info = json.loads(service_account(signer_key).key_file)
    signer = crypt.RSASigner.from_string(info["private_key"], kid)
    now = int(time.time())
    payload = {"iss": EMAIL, "sub": EMAIL, "aud": AUDIENCE, "iat": now, "exp": now + 600, **claims}
    return jwt.encode(signer, payload).decode()


def _publish(fake, body: object = None, path: str = PATH, **token: object) -> requests.Response:
    data = (
        {"messages": [{"data": base64.b64encode(b"disk full").decode()}]} if body is None else body
    )
    headers = {"Authorization": f"Bearer {_token(**token)}"}  # type: ignore[arg-type]
    return requests.post(fake.url + path, json=data, headers=headers, timeout=5)


def test_a_message_signed_by_the_account_is_published_with_its_id(fake):
    answer = _publish(fake)
    assert answer.status_code == 200
    [published] = fake.messages("shop-prod", "orders")
    assert answer.json() == {"messageIds": [published.message_id]}
    assert published.data == "disk full"


@pytest.mark.parametrize(
    "token",
    [
        {"signer_key": "another-key"},  # signed by another key, claiming this key's id
        {"kid": "unknown-key"},
        {"aud": "https://example.org/"},
        {"iat": 1_000_000, "exp": 1_000_600},
        {"iss": "someone@else.iam.gserviceaccount.com"},
    ],
)
def test_a_jwt_not_signed_for_pubsub_by_the_account_now_is_401(fake, token):
    answer = _publish(fake, **token)
    assert (answer.status_code, answer.json()["error"]["status"]) == (401, "UNAUTHENTICATED")
    assert fake.messages("shop-prod", "orders") == []


@pytest.mark.parametrize(
    ("body", "path", "expected"),
    [
        (None, "/v1/projects/shop-prod/topics/gone:publish", (404, "NOT_FOUND")),
        ({"messages": []}, PATH, (400, "INVALID_ARGUMENT")),
        ({"messages": [{}]}, PATH, (400, "INVALID_ARGUMENT")),
        ({"messages": [{"data": "not base64!"}]}, PATH, (400, "INVALID_ARGUMENT")),
        ({"messages": [{"attributes": {"k": "v" * 1025}}]}, PATH, (400, "INVALID_ARGUMENT")),
    ],
)
def test_publish_needs_a_known_topic_and_messages_within_the_limits(fake, body, path, expected):
    answer = _publish(fake, body, path)
    assert (answer.status_code, answer.json()["error"]["status"]) == expected


def test_scripted_quota_exhaustion_then_published(fake):
    fake.script(exhausted())
    assert _publish(fake).status_code == 429
    assert _publish(fake).status_code == 200
