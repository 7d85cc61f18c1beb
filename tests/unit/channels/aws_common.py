"""SNS and SQS endpoints for tests: values, a saved endpoint at the fake, a round trip."""

from __future__ import annotations

from lxml import etree

from devtools.fakes.aws import AwsFake
from notifications.endpoints.xml import export_endpoints, import_endpoints
from notifications.models import Endpoint

KEY_ID, SECRET = "AKIDEXAMPLE", "aws-secret-0f9e"
EDITABLE = ("topicArn", "queueUrl", "message")


def sns_values(
    topic: str = "arn:aws:sns:us-east-1:123456789012:ops", **extra: str
) -> dict[str, str]:
    return {"region": "us-east-1", "topicArn": topic, "subject": "ATSD", "message": "",
            "accessKeyId": KEY_ID, "secretAccessKey": SECRET, **extra}  # fmt: skip


def sqs_values(
    queue: str = "https://sqs.us-east-1.amazonaws.com/123456789012/alerts", **extra: str
) -> dict[str, str]:
    return {"region": "us-east-1", "queueUrl": queue, "message": "",
            "accessKeyId": KEY_ID, "secretAccessKey": SECRET, **extra}  # fmt: skip


def aws_endpoint(
    kind: str, values: dict[str, str], *, name: str = "aws", base_url: str = ""
) -> Endpoint:
    """A saved AWS-SNS or AWS-SQS endpoint; destination and message editable in rules."""
    endpoint = Endpoint(name=name, kind=kind, base_url=base_url)
    endpoint.set_parameters((k, v, k in EDITABLE) for k, v in values.items())
    endpoint.full_clean()
    endpoint.save()
    return endpoint


def fake_endpoint(fake: AwsFake, kind: str, *, name: str = "aws") -> tuple[Endpoint, str]:
    """An endpoint of ``kind`` at ``fake`` with its topic or queue; ``(endpoint, destination)``."""
    fake.add_key(KEY_ID, SECRET)
    if kind == "AWS-SNS":
        destination = fake.add_topic("ops")
        values = sns_values(destination)
    else:
        destination = fake.add_queue("alerts")
        values = sqs_values(destination)
    return aws_endpoint(kind, values, name=name, base_url=fake.url), destination


def assert_round_trip_in_the_common_shape(kind: str, values: dict[str, str]) -> None:
    """Export (type tag, no secret), then import with secrets: the same values come back."""
    endpoint = aws_endpoint(kind, values, name="cloud")
    [element] = etree.fromstring(export_endpoints([endpoint]))
    assert element.findtext("type") == kind
    assert SECRET.encode() not in etree.tostring(element)
    data = export_endpoints([endpoint], include_secrets=True)
    Endpoint.objects.all().delete()
    assert [i.outcome for i in import_endpoints(data).items] == ["created"]
    again = Endpoint.objects.get(name="cloud")
    assert again.parameter_values() == values
    assert again.editable_keys() == endpoint.editable_keys()
