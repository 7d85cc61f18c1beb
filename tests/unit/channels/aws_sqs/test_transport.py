"""The SQS transport against the fake SQS, and against moto's SQS and SNS with IAM
authentication on: moto checks the SigV4 signature with the key's secret as AWS does."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
import requests
from moto.server import ThreadedMotoServer

from devtools.fakes.aws import AwsFake, throttled
from notifications.channels.aws.transport import SnsTransport, SqsTransport
from notifications.channels.base import TransportError
from notifications.channels.http import HttpSettings
from tests.unit.channels.aws_common import KEY_ID, SECRET, sns_values, sqs_values


@pytest.fixture
def fake() -> Iterator[AwsFake]:
    with AwsFake() as server:
        server.add_key(KEY_ID, SECRET)
        yield server


def test_it_sends_the_text_as_the_message_body_of_the_queue(fake):
    queue = fake.add_queue("alerts")
    transport = SqsTransport.configure(sqs_values(queue), base_url=fake.url, http=HttpSettings())
    sent = transport.send_text("[CANCEL] disk full")
    [arrival] = fake.messages(queue)
    assert arrival.body == "[CANCEL] disk full"
    assert sent.message_id == arrival.message_id
    assert fake.log[0].fields["Action"] == "SendMessage"


def test_request_throttled_is_transient_and_an_unknown_queue_permanent(fake):
    queue = fake.add_queue("alerts")
    fake.script(throttled("sqs"))
    transport = SqsTransport.configure(sqs_values(queue), base_url=fake.url, http=HttpSettings())
    with pytest.raises(TransportError) as slowed:
        transport.send_text("t")
    assert not slowed.value.permanent
    lost = SqsTransport.configure(
        sqs_values(queue + "-gone"), base_url=fake.url, http=HttpSettings()
    )
    with pytest.raises(TransportError, match="NonExistentQueue") as missing:
        lost.send_text("t")
    assert missing.value.permanent


@pytest.fixture
def moto() -> Iterator[tuple[str, dict[str, str]]]:
    """A moto server with an IAM user allowed to send; authentication on after set-up."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    setup = {"endpoint_url": url, "region_name": "us-east-1",
             "aws_access_key_id": "setup", "aws_secret_access_key": "setup"}  # fmt: skip
    iam = boto3.client("iam", **setup)
    iam.create_user(UserName="alerts")
    key = iam.create_access_key(UserName="alerts")["AccessKey"]
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*",
              "Action": ["sqs:SendMessage", "sqs:ReceiveMessage", "sns:Publish"]}]}  # fmt: skip
    iam.put_user_policy(UserName="alerts", PolicyName="send", PolicyDocument=json.dumps(policy))
    names = {
        "queue": boto3.client("sqs", **setup).create_queue(QueueName="alerts")["QueueUrl"],
        "topic": boto3.client("sns", **setup).create_topic(Name="ops")["TopicArn"],
        "key": key["AccessKeyId"],
        "secret": key["SecretAccessKey"],
    }
    requests.post(f"{url}/moto-api/reset-auth", data=b"0", timeout=5)
    try:
        yield url, names
    finally:
        requests.post(f"{url}/moto-api/reset-auth", data=b"inf", timeout=5)
        server.stop()


def test_moto_with_iam_authentication_accepts_our_signature_and_refuses_a_wrong_one(moto):
    url, names = moto
    credentials = {"accessKeyId": names["key"], "secretAccessKey": names["secret"]}
    sqs = SqsTransport.configure(
        sqs_values(names["queue"], **credentials), base_url=url, http=HttpSettings()
    )
    sent = sqs.send_text("[OPEN] disk full")
    sns = SnsTransport.configure(
        sns_values(names["topic"], **credentials), base_url=url, http=HttpSettings()
    )
    assert sns.send_text("[OPEN] disk full").message_id
    wrong = SqsTransport.configure(
        sqs_values(names["queue"], accessKeyId=names["key"], secretAccessKey="wrong"),
        base_url=url, http=HttpSettings(),
    )  # fmt: skip
    with pytest.raises(TransportError, match="SignatureDoesNotMatch") as refused:
        wrong.send_text("never")
    assert refused.value.permanent
    reader = boto3.client(
        "sqs", endpoint_url=url, region_name="us-east-1",
        aws_access_key_id=names["key"], aws_secret_access_key=names["secret"],
    )  # fmt: skip
    received = reader.receive_message(QueueUrl=names["queue"], MaxNumberOfMessages=10)
    assert [(m["MessageId"], m["Body"]) for m in received["Messages"]] == [
        (sent.message_id, "[OPEN] disk full")
    ]


def test_a_text_over_the_limit_arrives_cut_visibly_within_the_services_size(fake):
    queue = fake.add_queue("alerts")
    transport = SqsTransport.configure(sqs_values(queue), base_url=fake.url, http=HttpSettings())
    transport.send_text("ü" * 100_000)  # 100,000 characters: more than the limit
    [arrival] = fake.messages(queue)
    assert len(arrival.body) == SqsTransport.text_limit
    assert arrival.body.endswith("...")
