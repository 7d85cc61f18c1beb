"""AWS endpoint forms: AWS API (any AWS query or JSON API, signed with an access key),
SNS (publish to a topic) and SQS (send to a queue)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms

from notifications.channels.aws.xml import API_MAPPING
from notifications.channels.form import (
    EndpointForm,
    ParameterSpec,
    area_field,
    choice_field,
    text_field,
    token_field,
)

METHODS = ("POST", "PUT", "PATCH", "GET", "DELETE")
CONTENT_TYPES = ("", "application/x-www-form-urlencoded", "application/json")
BODY_PARAMETERS = "body_parameters"

_ACCESS_KEY = ParameterSpec(
    "accessKeyId",
    text_field("Access Key ID", "IAM user's access key id (AKIA...).", max_length=128),
)
_SECRET_KEY = ParameterSpec(
    "secretAccessKey",
    token_field("Secret Access Key", "The access key's secret, shown once by IAM."),
)
_REGION = ParameterSpec(
    "region",
    text_field("Region", "e.g. us-east-1.", max_length=32, required=True),
    default="us-east-1",
)


def header_errors(headers: str) -> str:
    """An error for ``Name: value`` header lines, or "" when every line is one."""
    bad = [line for line in headers.splitlines() if line.strip() and ":" not in line]
    return f"Header line {bad[0][:40]!r} is not 'Name: value'." if bad else ""


class AwsApiEndpointForm(EndpointForm):
    """ATSD's AWS API endpoint: a SigV4-signed request to the service at Endpoint URL."""

    kind = "AWS-API"
    target_keys = ("base_url", "action")
    parameter_specs = (
        ParameterSpec("action", text_field("Action", "The API action, e.g. SendMessage.")),
        _ACCESS_KEY,
        _SECRET_KEY,
        ParameterSpec("method", choice_field("Method", METHODS), default="POST"),
        ParameterSpec(
            "contentType",
            choice_field("Content Type", CONTENT_TYPES, "Default: form-encoded."),
        ),
        ParameterSpec("headers", area_field("Headers", "One 'Name: value' per line.", rows=2)),
        ParameterSpec("body", area_field("Body", "Form-encoded parameters or a JSON document.")),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields[BODY_PARAMETERS] = forms.CharField(
            label="Body parameters editable in rules",
            required=False,
            help_text="Comma-separated names of body parameters (e.g. MessageBody) that a "
            "rule may replace.",
        )
        if self.instance.pk:
            self.initial[BODY_PARAMETERS] = ", ".join(
                API_MAPPING.body_parameter_keys(self.instance)
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        names = [n.strip() for n in str(cleaned.get(BODY_PARAMETERS) or "").split(",")]
        own = set(self.parameter_keys())
        self.instance.parameters = [
            *self.instance.parameters,
            *(
                {"key": n, "value": "", "editable": True}
                for n in dict.fromkeys(names)
                if n and n not in own
            ),
        ]
        return cleaned

    @classmethod
    def validate_parameters(
        cls, values: Mapping[str, str], *, require_secrets: bool = True
    ) -> dict[str, str]:
        errors: dict[str, str] = {}
        # An export without <method> means ATSD's default, POST.
        if values.get("method", "") not in ("", *METHODS):
            errors["method"] = f"Method must be one of {', '.join(METHODS)}."
        if values.get("contentType", "") not in CONTENT_TYPES:
            errors["contentType"] = "Content Type must be form-encoded or JSON."
        if problem := header_errors(values.get("headers", "")):
            errors["headers"] = problem
        return errors


class AwsSnsEndpointForm(EndpointForm):
    """An SNS topic: Publish with the message (and subject) rendered per trigger."""

    kind = "AWS-SNS"
    target_keys = ("topicArn",)
    parameter_specs = (
        _REGION,
        ParameterSpec(
            "topicArn",
            text_field("Topic ARN", "arn:aws:sns:REGION:ACCOUNT:NAME", required=True),
            editable=True,
        ),
        ParameterSpec(
            "subject", text_field("Subject", "E-mail subscribers' subject.", max_length=100)
        ),
        ParameterSpec(
            "message", area_field("Message", "Blank = written in the rule editor."), editable=True
        ),
        _ACCESS_KEY,
        _SECRET_KEY,
    )


class AwsSqsEndpointForm(EndpointForm):
    """An SQS queue: SendMessage with the message body rendered per trigger."""

    kind = "AWS-SQS"
    target_keys = ("queueUrl",)
    parameter_specs = (
        _REGION,
        ParameterSpec(
            "queueUrl",
            text_field("Queue URL", "https://sqs.REGION.amazonaws.com/ACCOUNT/NAME", required=True),
            editable=True,
        ),
        ParameterSpec(
            "message",
            area_field("Message Body", "Blank = written in the rule editor."),
            editable=True,
        ),
        _ACCESS_KEY,
        _SECRET_KEY,
    )
