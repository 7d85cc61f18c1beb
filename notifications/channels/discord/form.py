"""The DISCORD endpoint form (spec §7.5): a Webhook URL split into its id and token on
save (then cleared), the bot username and the content."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms

from notifications.channels.discord.transport import (
    DEFAULT_BASE_URL,
    FORBIDDEN_NAMES,
    USERNAME_LIMIT,
    split_webhook_url,
)
from notifications.channels.form import (
    PARAM_PREFIX,
    EndpointForm,
    ParameterSpec,
    PasswordField,
    message_field,
    token_field,
)

WEBHOOK_URL = "webhook_url"


def _username() -> forms.Field:
    return forms.CharField(
        label="Bot Username",
        max_length=USERNAME_LIMIT,
        required=False,
        help_text="Shown as the sender instead of the webhook's name.",
    )


class DiscordEndpointForm(EndpointForm):
    """A Discord channel webhook and how its messages look."""

    kind = "DISCORD"
    default_base_url = DEFAULT_BASE_URL
    entry_fields = (WEBHOOK_URL,)
    parameter_specs = (
        ParameterSpec("webhook_id", token_field("Webhook ID", "Filled from the Webhook URL.")),
        ParameterSpec(
            "webhook_token", token_field("Webhook Token", "Filled from the Webhook URL.")
        ),
        ParameterSpec("username", _username),
        ParameterSpec(
            "content",
            message_field("Content", "Markdown; links are [label](url)."),
            editable=True,
        ),
    )

    webhook_url = PasswordField(
        label="Webhook URL",
        max_length=500,
        help_text="Channel settings → Integrations → Webhooks → Copy Webhook URL. Split into "
        "the id and token on save, then cleared. Charts sent here are public by URL.",
    )

    def clean(self) -> dict[str, Any]:
        url = self.cleaned_data.get(WEBHOOK_URL, "")
        if url:
            parts = split_webhook_url(url)
            if parts is None:
                self.add_error(
                    WEBHOOK_URL, "Not a Discord webhook URL (…/api/webhooks/<id>/<token>)."
                )
            else:
                self.cleaned_data[PARAM_PREFIX + "webhook_id"] = parts[0]
                self.cleaned_data[PARAM_PREFIX + "webhook_token"] = parts[1]
        return super().clean()

    @classmethod
    def validate_parameters(
        cls, values: Mapping[str, str], *, require_secrets: bool = True
    ) -> dict[str, str]:
        errors: dict[str, str] = {}
        if require_secrets and not (values.get("webhook_id") and values.get("webhook_token")):
            errors["webhook_token"] = "Paste the Webhook URL (or its id and token)."  # noqa: S105
        if values.get("webhook_id") and not values["webhook_id"].isdigit():
            errors["webhook_id"] = "A webhook id is a number."
        username = values.get("username", "")
        if len(username) > USERNAME_LIMIT:
            errors["username"] = f"Bot Username must be at most {USERNAME_LIMIT} characters."
        if any(word in username.lower() for word in FORBIDDEN_NAMES):
            errors["username"] = "Discord refuses usernames containing 'clyde' or 'discord'."
        return errors

    @classmethod
    def parameter_warnings(cls, values: Mapping[str, str]) -> list[str]:
        """Spec §7.5: files a webhook posts are public to anyone with their URL."""
        return [
            "Charts sent to Discord can be opened by anyone holding their URL "
            "(Discord serves attachments without a login)."
        ]
