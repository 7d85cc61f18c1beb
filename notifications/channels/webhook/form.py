"""The WEBHOOK endpoint form (spec §7.5): the URL, JSON or form content, an optional
secret that signs every request."""

from __future__ import annotations

from typing import Any

from django import forms

from notifications.channels.form import EndpointForm, ParameterSpec, token_field
from notifications.channels.webhook.transport import FORM, JSON


def _content_type() -> forms.Field:
    return forms.ChoiceField(
        label="Content Type",
        choices=[(JSON, "JSON"), (FORM, "Form (x-www-form-urlencoded)")],
        help_text="JSON: one object of every window field; form: the same fields, "
        "nested names joined with '.'.",
    )


class WebhookEndpointForm(EndpointForm):
    """A URL that receives every window field of a trigger, always by POST."""

    kind = "WEBHOOK"
    parameter_specs = (
        ParameterSpec("content_type", _content_type, default=JSON),
        ParameterSpec(
            "secret",
            token_field(
                "Secret",
                "Optional: signs each request (x-axi-signature: sha1=…, "
                "x-axi-signature-256: sha256=…, HMAC of the body).",
            ),
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        url = self.fields["base_url"]
        url.label = "URL"
        url.required = True
        url.help_text = "Where the notifications are POSTed, e.g. https://hooks.example.org/atsd."
