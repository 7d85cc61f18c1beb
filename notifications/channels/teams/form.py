"""The TEAMS endpoint form: the channel's Workflows webhook URL (write-only: it carries
its signature) and the text."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from django import forms

from notifications.channels.form import EndpointForm, ParameterSpec, PasswordField, message_field

URL_MAX = 2000


def _webhook_url() -> forms.Field:
    return PasswordField(
        label="Webhook URL",
        max_length=URL_MAX,
        help_text="Channel → ⋯ → Workflows → 'Send webhook alerts to a channel' → copy the URL.",
    )


class TeamsEndpointForm(EndpointForm):
    """A Teams channel's webhook and the text of its cards."""

    kind = "TEAMS"
    parameter_specs = (
        ParameterSpec("webhook_url", _webhook_url),
        ParameterSpec(
            "text",
            message_field("Text", "Markdown; links [label](url) also become buttons."),
            editable=True,
        ),
    )

    @classmethod
    def validate_parameters(
        cls, values: Mapping[str, str], *, require_secrets: bool = True
    ) -> dict[str, str]:
        url = values.get("webhook_url", "")
        if not url:
            return {"webhook_url": "Paste the channel's webhook URL."} if require_secrets else {}
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.netloc:
            return {"webhook_url": "A webhook URL starts with https://."}
        return {}
