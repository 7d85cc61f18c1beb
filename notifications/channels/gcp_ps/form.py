"""The GCP-PS endpoint form: a Pub/Sub topic and the service account that publishes."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms

from notifications.channels.form import (
    EndpointForm,
    ParameterSpec,
    PasswordField,
    area_field,
    text_field,
)
from notifications.channels.gcp_ps.transport import service_account_info

KEY_MAX = 10_000


def _key() -> forms.Field:
    return PasswordField(
        label="Service Account Key",
        max_length=KEY_MAX,
        help_text="The account's JSON key file (IAM > Service accounts > Keys > Add key > "
        "JSON), pasted whole.",
    )


class GcpPubSubEndpointForm(EndpointForm):
    """Project, topic, service account and the message."""

    kind = "GCP-PS"
    target_keys = ("projectId", "topic")
    parameter_specs = (
        ParameterSpec("projectId", text_field("Project ID", "e.g. charged-thought-189815.")),
        ParameterSpec(
            "topic", text_field("Topic", "The topic name, not its full path."), editable=True
        ),
        ParameterSpec(
            "serviceAccount",
            text_field("Service Account", "The account that publishes (role Publisher)."),
        ),
        ParameterSpec(
            "privateKeyAlias",
            text_field("Private Key Alias", "Name of the account's key in ATSD's key store."),
        ),
        ParameterSpec("serviceAccountKey", _key),
        ParameterSpec(
            "message", area_field("Message", "Blank = written in the rule editor."), editable=True
        ),
    )

    @classmethod
    def validate_parameters(
        cls, values: Mapping[str, str], *, require_secrets: bool = True
    ) -> dict[str, str]:
        key = values.get("serviceAccountKey", "").strip()
        if not key:
            return (
                {"serviceAccountKey": "A Service Account Key is required to publish."}
                if require_secrets
                else {}
            )
        try:
            service_account_info(key)
        except ValueError as exc:
            message = str(exc)
            return {"serviceAccountKey": message[:1].upper() + message[1:] + "."}
        return {}
