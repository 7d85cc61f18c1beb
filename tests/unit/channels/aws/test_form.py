"""The AWS API endpoint form: fields, write-only secret key, editable body parameters."""

import pytest

from notifications.channels.aws.form import AwsApiEndpointForm
from notifications.models import Endpoint
from tests.unit.channels.cloud_fixture import import_cloud_fixture

pytestmark = pytest.mark.django_db


def _api_data(**overrides: str) -> dict[str, str]:
    data = {
        "name": "aws",
        "enabled": "true",
        "base_url": "https://sqs.us-east-1.amazonaws.com",
        "param_action": "SendMessage",
        "param_accessKeyId": "AKIDEXAMPLE",
        "param_secretAccessKey": "form-secret-9a",
        "param_method": "POST",
        "param_contentType": "application/x-www-form-urlencoded",
        "param_headers": "",
        "param_body": "Action=SendMessage&MessageBody=hi",
        "body_parameters": "MessageBody, MessageBody",
    }
    return {**data, **overrides}


def test_aws_api_form_saves_fields_and_body_parameters_editable_in_rules():
    form = AwsApiEndpointForm(_api_data(), instance=Endpoint(kind="AWS-API"))
    assert form.is_valid(), form.errors
    endpoint = form.save()
    assert endpoint.parameter("secretAccessKey") == "form-secret-9a"
    assert endpoint.parameter("body") == "Action=SendMessage&MessageBody=hi"
    assert endpoint.editable_keys() == ["MessageBody"]


def test_editing_an_imported_aws_api_endpoint_shows_its_body_parameters_and_hides_the_secret():
    import_cloud_fixture()
    endpoint = Endpoint.objects.get(name="aws-queue")
    form = AwsApiEndpointForm(instance=endpoint)
    assert form.initial["body_parameters"] == "MessageBody"
    assert "aws-secret-4c1d" not in form.as_p()
    edited = AwsApiEndpointForm(
        _api_data(name="aws-queue", param_secretAccessKey="", body_parameters="MessageBody"),
        instance=endpoint,
    )
    assert edited.is_valid(), edited.errors
    saved = edited.save()
    assert saved.parameter("secretAccessKey") == "aws-secret-4c1d"
    assert saved.editable_keys() == ["MessageBody"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("param_method", "TRACE"), ("param_contentType", "text/xml"), ("param_headers", "no colon")],
)
def test_aws_api_form_refuses_a_bad_method_content_type_or_header_line(field, value):
    form = AwsApiEndpointForm(_api_data(**{field: value}), instance=Endpoint(kind="AWS-API"))
    assert not form.is_valid()
    assert field in form.errors
