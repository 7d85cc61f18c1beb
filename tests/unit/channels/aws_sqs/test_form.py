"""The AWS-SQS form: queue URL required, message body editable, secret write-only."""

import pytest

from notifications.channels.aws.form import AwsSqsEndpointForm
from notifications.models import Endpoint
from tests.unit.channels.aws_common import SECRET, aws_endpoint, sqs_values

pytestmark = pytest.mark.django_db


def test_a_new_sqs_form_makes_the_message_body_editable_and_requires_the_queue_url():
    blank = AwsSqsEndpointForm(instance=Endpoint(kind="AWS-SQS"))
    assert blank.initial["editable_message"] is True
    assert blank.initial["param_region"] == "us-east-1"
    form = AwsSqsEndpointForm(
        {"name": "q", "enabled": "true", "param_region": "us-east-1", "param_queueUrl": ""},
        instance=Endpoint(kind="AWS-SQS"),
    )
    assert not form.is_valid()
    assert "param_queueUrl" in form.errors


def test_the_secret_access_key_is_never_rendered_and_a_blank_input_keeps_it():
    endpoint = aws_endpoint("AWS-SQS", sqs_values())
    assert SECRET not in AwsSqsEndpointForm(instance=endpoint).as_p()
    data = {"name": "aws", "enabled": "true", "param_region": "eu-west-1",
            "param_queueUrl": sqs_values()["queueUrl"], "param_accessKeyId": "AKIDEXAMPLE",
            "param_secretAccessKey": ""}  # fmt: skip
    form = AwsSqsEndpointForm(data, instance=endpoint)
    assert form.is_valid(), form.errors
    saved = form.save()
    assert (saved.parameter("region"), saved.parameter("secretAccessKey")) == ("eu-west-1", SECRET)
