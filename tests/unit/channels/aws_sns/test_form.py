"""The AWS-SNS form: topic ARN required, topic and message editable, subject limit."""

import pytest

from notifications.channels.aws.form import AwsSnsEndpointForm
from notifications.models import Endpoint

pytestmark = pytest.mark.django_db


def _data(**overrides: str) -> dict[str, str]:
    data = {"name": "sns", "enabled": "true", "param_region": "us-east-1",
            "param_topicArn": "arn:aws:sns:us-east-1:123456789012:ops", "editable_topicArn": "on",
            "param_subject": "ATSD", "param_message": "${rule}", "editable_message": "on",
            "param_accessKeyId": "AKIDEXAMPLE",
            "param_secretAccessKey": "sns-secret-1"}  # fmt: skip
    return {**data, **overrides}


def test_a_complete_sns_form_saves_in_form_order_with_topic_and_message_editable():
    form = AwsSnsEndpointForm(_data(), instance=Endpoint(kind="AWS-SNS"))
    assert form.is_valid(), form.errors
    endpoint = form.save()
    assert [p["key"] for p in endpoint.parameters] == list(AwsSnsEndpointForm.parameter_keys())
    assert endpoint.editable_keys() == ["topicArn", "message"]
    assert endpoint.parameter("secretAccessKey") == "sns-secret-1"


@pytest.mark.parametrize(("field", "value"), [("param_topicArn", ""), ("param_subject", "s" * 101)])
def test_it_refuses_a_missing_topic_or_a_subject_over_100_characters(field, value):
    form = AwsSnsEndpointForm(_data(**{field: value}), instance=Endpoint(kind="AWS-SNS"))
    assert not form.is_valid()
    assert field in form.errors
