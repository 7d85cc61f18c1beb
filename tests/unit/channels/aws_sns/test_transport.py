"""The SNS transport against the fake SNS: signed Publish, AWS's errors classified."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devtools.fakes.aws import AwsFake, error_reply, throttled
from notifications.channels.aws.transport import SnsTransport
from notifications.channels.base import TransportError
from notifications.channels.http import HttpSettings
from tests.unit.channels.aws_common import KEY_ID, SECRET, sns_values


@pytest.fixture
def fake() -> Iterator[AwsFake]:
    with AwsFake() as server:
        server.add_key(KEY_ID, SECRET)
        yield server


def _transport(fake: AwsFake, **values: str) -> SnsTransport:
    parameters = sns_values(fake.add_topic("ops"), **values)
    return SnsTransport.configure(parameters, base_url=fake.url, http=HttpSettings())


def test_it_publishes_the_text_with_the_subject_and_keeps_the_message_id(fake):
    sent = _transport(fake).send_text("[OPEN] disk full ü")
    [arrival] = fake.messages(fake.add_topic("ops"))
    assert (arrival.body, arrival.subject) == ("[OPEN] disk full ü", "ATSD")
    assert (sent.status, sent.message_id) == (200, arrival.message_id)
    assert fake.log[0].signer == KEY_ID


def test_a_blank_subject_is_left_out(fake):
    _transport(fake, subject="").send_text("t")
    assert "Subject" not in fake.log[0].fields


def test_throttling_is_transient_although_aws_answers_400(fake):
    fake.script(throttled("sns"))
    with pytest.raises(TransportError) as caught:
        _transport(fake).send_text("t")
    assert not caught.value.permanent
    assert (caught.value.status, caught.value.message) == (
        400, "AWS SNS error: HTTP 400: Throttling: Rate exceeded",
    )  # fmt: skip


def test_a_5xx_is_transient_and_a_wrong_secret_permanent_without_the_secret(fake):
    fake.script(error_reply(503, "ServiceUnavailable", "try later"))
    with pytest.raises(TransportError) as outage:
        _transport(fake).send_text("t")
    assert not outage.value.permanent
    with pytest.raises(TransportError) as refused:
        _transport(fake, secretAccessKey="wrong-secret-11").send_text("t")
    assert refused.value.permanent
    assert "SignatureDoesNotMatch" in refused.value.message
    assert "wrong-secret-11" not in refused.value.message + refused.value.response_text
    assert fake.messages(fake.add_topic("ops")) == []


@pytest.mark.parametrize(
    ("values", "problem"),
    [({"topicArn": ""}, "Topic ARN"), ({"secretAccessKey": ""}, "Secret Access Key"),
     ({"region": ""}, "Region")],
)  # fmt: skip
def test_values_that_cannot_send_are_a_permanent_error(values, problem):
    with pytest.raises(TransportError, match=problem) as caught:
        SnsTransport.configure(sns_values(**values), base_url="", http=HttpSettings())
    assert caught.value.permanent
