"""The Service Bus transport against the fake: SAS-signed POST to the destination,
Service Bus's answers classified."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devtools.fakes.azure_sb import AzureServiceBusFake, busy
from notifications.channels.azure_sb.transport import ServiceBusTransport, namespace_root
from notifications.channels.base import TransportError
from notifications.channels.http import HttpSettings
from tests.unit.channels.azure_common import KEY, KEY_NAME, azure_values


@pytest.fixture
def fake() -> Iterator[AzureServiceBusFake]:
    with AzureServiceBusFake() as server:
        server.add_key(KEY_NAME, KEY)
        server.add_entity("alert-queue")
        yield server


def _transport(fake: AzureServiceBusFake, **values: str) -> ServiceBusTransport:
    return ServiceBusTransport.configure(
        azure_values(**values), base_url=f"{fake.url}/alert-queue/messages", http=HttpSettings()
    )


def test_it_posts_the_text_to_the_destination_with_the_query_parameters(fake):
    sent = _transport(fake, headers='BrokerProperties: {"Label": "atsd"}').send_text(
        '{"status": "OPEN"}'
    )
    [message] = fake.messages("alert-queue")
    assert message.body == b'{"status": "OPEN"}'
    assert message.query == {"timeout": "60"}
    assert sent.status == 201


def test_a_rule_may_send_to_another_destination_of_the_namespace(fake):
    fake.add_entity("alert-hub")
    _transport(fake, destination="alert-hub").send_text("t")
    assert [m.body for m in fake.messages("alert-hub")] == [b"t"]
    assert fake.messages("alert-queue") == []


def test_a_wrong_key_is_a_permanent_401_that_never_shows_the_key(fake):
    with pytest.raises(TransportError) as caught:
        _transport(fake, primaryKey="not-the-key-77").send_text("t")
    assert caught.value.permanent
    assert caught.value.status == 401
    assert "not-the-key-77" not in caught.value.message + caught.value.response_text


def test_server_busy_and_429_are_transient_with_retry_after(fake):
    fake.script(busy())
    fake.script(busy(retry_after_s=7))
    for retry_after in (None, 7.0):
        with pytest.raises(TransportError) as caught:
            _transport(fake).send_text("t")
        assert not caught.value.permanent
        assert caught.value.retry_after_s == retry_after


def test_an_unknown_destination_is_permanent(fake):
    with pytest.raises(TransportError) as caught:
        _transport(fake, destination="gone").send_text("t")
    assert (caught.value.permanent, caught.value.status) == (True, 404)


@pytest.mark.parametrize(
    ("base_url", "namespace", "root"),
    [
        ("", "shop", "https://shop.servicebus.windows.net"),
        ("https://shop.servicebus.windows.net/alert-queue/messages", "", "https://shop.servicebus.windows.net"),
        ("http://gw.example.org/sb/", "shop", "http://gw.example.org/sb"),
    ],
)  # fmt: skip
def test_the_namespace_url_comes_from_the_endpoint_url_or_the_namespace(base_url, namespace, root):
    assert namespace_root(base_url, namespace) == root


@pytest.mark.parametrize(
    ("values", "problem"),
    [({"destination": ""}, "Destination"), ({"primaryKey": ""}, "Primary Key"),
     ({"servicebusNamespace": ""}, "Namespace")],
)  # fmt: skip
def test_values_that_cannot_send_are_a_permanent_error(values, problem):
    with pytest.raises(TransportError, match=problem) as caught:
        ServiceBusTransport.configure(azure_values(**values), base_url="", http=HttpSettings())
    assert caught.value.permanent
