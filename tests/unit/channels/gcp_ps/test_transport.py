"""The Pub/Sub transport against the fake: a self-signed JWT from the service account's
key, the text published as base64 data, Google's errors classified."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from devtools.fakes.gcp_ps import PubSubFake, exhausted
from notifications.channels.base import TransportError
from notifications.channels.gcp_ps.transport import PubSubTransport, _signer, api_root
from notifications.channels.http import HttpSettings
from tests.unit.channels.gcp_common import EMAIL, gcp_values, service_account, trust_the_account


@pytest.fixture
def fake() -> Iterator[PubSubFake]:
    with PubSubFake() as server:
        yield trust_the_account(server)


def _transport(fake: PubSubFake, **values: str) -> PubSubTransport:
    url = f"{fake.url}/v1/projects/shop-prod/topics/orders:publish"
    return PubSubTransport.configure(gcp_values(**values), base_url=url, http=HttpSettings())


def test_it_publishes_the_text_with_the_severity_and_keeps_the_message_id(fake):
    sent = _transport(fake).send_text(
        '{"status": "OPEN", "entity": "nurswgvml007"}', severity="CRITICAL"
    )
    [published] = fake.messages("shop-prod", "orders")
    assert published.data == '{"status": "OPEN", "entity": "nurswgvml007"}'
    assert published.attributes == {"severity": "CRITICAL"}
    assert (sent.status, sent.message_id) == (200, published.message_id)
    assert fake.log[0].signer == EMAIL


def test_a_rule_may_publish_to_another_topic(fake):
    fake.add_topic("shop-prod", "audit")
    _transport(fake, topic="audit").send_text("t")
    assert [p.data for p in fake.messages("shop-prod", "audit")] == ["t"]


def test_quota_exhaustion_is_transient_and_a_key_the_service_does_not_know_permanent(fake):
    fake.script(exhausted())
    with pytest.raises(TransportError) as over_quota:
        _transport(fake).send_text("t")
    assert not over_quota.value.permanent
    stranger = service_account("rotated-away").key_file
    with pytest.raises(TransportError) as refused:
        _transport(fake, serviceAccountKey=stranger).send_text("t")
    assert (refused.value.permanent, refused.value.status) == (True, 401)
    assert "UNAUTHENTICATED" in refused.value.message
    private_key = json.loads(stranger)["private_key"]
    assert private_key not in refused.value.message + refused.value.response_text


@pytest.mark.parametrize(
    ("values", "problem"),
    [({"topic": ""}, "Topic"), ({"serviceAccountKey": ""}, "Service Account Key is not set"),
     ({"serviceAccountKey": "{}"}, "needs client_email")],
)  # fmt: skip
def test_values_that_cannot_send_are_a_permanent_error(values, problem):
    with pytest.raises(TransportError, match=problem) as caught:
        PubSubTransport.configure(gcp_values(**values), base_url="", http=HttpSettings())
    assert caught.value.permanent


@pytest.mark.parametrize(
    ("base_url", "root"),
    [
        ("", "https://pubsub.googleapis.com"),
        ("https://pubsub.googleapis.com/v1/projects/p/topics/t:publish", "https://pubsub.googleapis.com"),
        ("http://gw.example.org/pubsub/", "http://gw.example.org/pubsub"),
    ],
)  # fmt: skip
def test_the_api_root_comes_from_the_endpoint_url(base_url, root):
    assert api_root(base_url) == root


def test_the_key_file_is_loaded_once_for_all_the_transports_that_use_it(fake):
    _signer.cache_clear()
    first, second = _transport(fake), _transport(fake)
    assert _signer.cache_info().misses == 1
    first.send_text("a")
    second.send_text("b")
    assert [r.status for r in fake.log] == [200, 200]
    assert first.credentials is not second.credentials
