"""The fake SNS and SQS enforce AWS's contract: SigV4 checked with the key's secret,
required fields, size limits, AWS's throttling answer.

These tests sign with botocore and post with ``requests`` (not the product transport),
so they prove the fake itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from lxml import etree

from devtools.fakes.aws import AwsFake, throttled

KEY, SECRET = "AKIDFAKE", "fake-secret"


@pytest.fixture
def fake() -> Iterator[AwsFake]:
    with AwsFake() as server:
        server.add_key(KEY, SECRET)
        yield server


def _post(
    fake: AwsFake,
    form: dict[str, str],
    *,
    service: str = "sns",
    secret: str = SECRET,
    key: str = KEY,
    stamp: str = "",
) -> tuple[int, str]:
    """POST ``form`` signed for ``service``; ``(status, error code or MessageId)``."""
    body = urlencode(form).encode()
    request = AWSRequest(
        method="POST",
        url=fake.url,
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    SigV4Auth(Credentials(key, secret), service, "us-east-1").add_auth(request)
    headers = dict(request.headers.items())
    if stamp:
        headers["X-Amz-Date"] = stamp
    answer = requests.post(fake.url, data=body, headers=headers, timeout=5)
    root = etree.fromstring(answer.content)
    return answer.status_code, root.findtext(".//{*}Code") or root.findtext(".//{*}MessageId")


def _publish(topic: str, message: str = "disk full", **extra: str) -> dict[str, str]:
    return {"Action": "Publish", "TopicArn": topic, "Message": message, **extra}


def test_a_signed_publish_is_kept_with_the_id_returned(fake):
    topic = fake.add_topic("ops")
    status, message_id = _post(fake, _publish(topic, Subject="ATSD"))
    assert status == 200
    [arrival] = fake.messages(topic)
    assert (arrival.message_id, arrival.body, arrival.subject) == (message_id, "disk full", "ATSD")


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"secret": "not-the-secret"}, "SignatureDoesNotMatch"),
        ({"key": "AKIDUNKNOWN"}, "InvalidClientTokenId"),
        ({"service": "sqs"}, "SignatureDoesNotMatch"),
        ({"stamp": "20200101T000000Z"}, "SignatureDoesNotMatch"),
    ],
)
def test_a_request_not_signed_with_the_keys_secret_for_the_service_now_is_403(fake, change, code):
    topic = fake.add_topic("ops")
    assert _post(fake, _publish(topic), **change) == (403, code)
    assert fake.messages(topic) == []


def test_an_unsigned_request_is_403(fake):
    answer = requests.post(fake.url, data={"Action": "Publish"}, timeout=5)
    assert answer.status_code == 403
    assert b"MissingAuthenticationToken" in answer.content


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        (_publish("arn:aws:sns:us-east-1:123456789012:nope"), (404, "NotFound")),
        (_publish("TOPIC", message=""), (400, "InvalidParameter")),
        (_publish("TOPIC", message="x" * (256 * 1024 + 1)), (400, "InvalidParameter")),
        (_publish("TOPIC", Subject="s" * 101), (400, "InvalidParameter")),
        ({"Action": "Subscribe", "TopicArn": "TOPIC"}, (400, "InvalidAction")),
    ],
)
def test_publish_requires_a_known_topic_and_a_message_within_the_limits(fake, form, expected):
    topic = fake.add_topic("ops")
    form = {k: (topic if v == "TOPIC" else v) for k, v in form.items()}
    assert _post(fake, form) == expected
    assert fake.messages(topic) == []


def test_send_message_requires_a_known_queue_and_a_body(fake):
    queue = fake.add_queue("alerts")
    send = {"Action": "SendMessage", "QueueUrl": queue}
    assert _post(fake, {**send, "MessageBody": ""}, service="sqs") == (400, "InvalidParameterValue")
    missing = {**send, "QueueUrl": queue + "-x", "MessageBody": "b"}
    assert _post(fake, missing, service="sqs") == (400, "AWS.SimpleQueueService.NonExistentQueue")
    status, _ = _post(fake, {**send, "MessageBody": "b"}, service="sqs")
    assert status == 200
    assert [a.body for a in fake.messages(queue)] == ["b"]


def test_scripted_throttling_answers_as_aws_does_then_accepts(fake):
    topic, queue = fake.add_topic("ops"), fake.add_queue("alerts")
    fake.script(throttled("sns"))
    fake.script(throttled("sqs"))
    assert _post(fake, _publish(topic)) == (400, "Throttling")
    queued = {"Action": "SendMessage", "QueueUrl": queue, "MessageBody": "b"}
    assert _post(fake, queued, service="sqs") == (400, "RequestThrottled")
    assert _post(fake, _publish(topic))[0] == 200
    fake.wait_for(lambda log: len(log) == 3)
    assert [(r.status, r.error) for r in fake.log] == [
        (400, "Throttling"), (400, "RequestThrottled"), (200, ""),
    ]  # fmt: skip
