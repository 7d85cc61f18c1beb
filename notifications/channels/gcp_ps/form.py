"""The GCP-PS endpoint form: a Pub/Sub topic and the service account that publishes."""

from __future__ import annotations

from notifications.channels.form import EndpointForm, ParameterSpec, area_field, text_field


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
        ParameterSpec(
            "message", area_field("Message", "Blank = written in the rule editor."), editable=True
        ),
    )
