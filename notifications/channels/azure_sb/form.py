"""The AZURE-SB endpoint form: a Service Bus queue or topic (or an Event Hub) reached by
its REST URL with a shared access key."""

from __future__ import annotations

from collections.abc import Mapping

from notifications.channels.aws.form import header_errors
from notifications.channels.form import (
    EndpointForm,
    ParameterSpec,
    area_field,
    text_field,
    token_field,
)


class AzureServiceBusEndpointForm(EndpointForm):
    """Namespace, destination, the shared access policy and the message."""

    kind = "AZURE-SB"
    target_keys = ("servicebusNamespace", "destination")
    parameter_specs = (
        ParameterSpec(
            "servicebusNamespace",
            text_field("Namespace", "The part before .servicebus.windows.net."),
        ),
        ParameterSpec(
            "destination",
            text_field("Destination", "Queue, topic or event hub name."),
            editable=True,
        ),
        ParameterSpec(
            "pathParameters", text_field("Query Parameters", "e.g. timeout=60&api-version=2014-01.")
        ),
        ParameterSpec(
            "keyName", text_field("Key Name", "Shared access policy name.", max_length=256)
        ),
        ParameterSpec(
            "primaryKey",
            token_field("Primary Key", "The policy's primary key (Shared access policies)."),
        ),
        ParameterSpec("headers", area_field("Headers", "One 'Name: value' per line.", rows=2)),
        ParameterSpec(
            "message", area_field("Message", "Blank = written in the rule editor."), editable=True
        ),
    )

    @classmethod
    def validate_parameters(
        cls, values: Mapping[str, str], *, require_secrets: bool = True
    ) -> dict[str, str]:
        problem = header_errors(values.get("headers", ""))
        return {"headers": problem} if problem else {}
