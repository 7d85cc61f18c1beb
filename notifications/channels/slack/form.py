"""The SLACK endpoint form (spec §7.5): bot token, channels, username, text, parse
mode, names as links, details table format."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms

from notifications.channels.form import (
    BoolStringField,
    EndpointForm,
    ParameterSpec,
    message_field,
    token_field,
)
from notifications.channels.slack.transport import DEFAULT_BASE_URL, PARSE_MODES, split_channels

CHANNELS_MAX = 1000
USERNAME_MAX = 80
DETAILS_FORMATS = ("ascii", "markdown", "property", "csv")


def _channels() -> forms.Field:
    return forms.CharField(
        label="Channels",
        max_length=CHANNELS_MAX,
        help_text="Comma-separated channel names (general) or ids (C0123ABCD); one post each.",
    )


def _username() -> forms.Field:
    return forms.CharField(
        label="Bot Username",
        max_length=USERNAME_MAX,
        required=False,
        help_text="Name shown as the sender; needs the chat:write.customize scope.",
    )


def _parse() -> forms.Field:
    return forms.ChoiceField(
        label="Parse Mode",
        choices=[("", "Default"), ("none", "none"), ("full", "full")],
        required=False,
        help_text="full: Slack links names and URLs itself; none: the text is taken as written.",
    )


def _link_names() -> forms.Field:
    return BoolStringField(
        label="Names as Links",
        required=False,
        widget=forms.CheckboxInput(check_test=lambda value: value in (True, "true", "on")),
        help_text="Turn @group and #channel names into links.",
    )


def _details_format() -> forms.Field:
    return forms.ChoiceField(
        label="Details Table Format",
        choices=[(f, f) for f in DETAILS_FORMATS],
        help_text="How Attach Details writes the table (in a code block).",
    )


class SlackEndpointForm(EndpointForm):
    """A Slack app's bot token and the channels it posts alerts to."""

    kind = "SLACK"
    target_keys = ("channels",)
    default_base_url = DEFAULT_BASE_URL
    parameter_specs = (
        ParameterSpec(
            "token",
            token_field(
                "Bot User OAuth Token",
                "xoxb-… from the app's OAuth & Permissions page "
                "(scopes chat:write, files:write, channels:read, channels:history).",
            ),
        ),
        ParameterSpec("channels", _channels, editable=True),
        ParameterSpec("username", _username),
        ParameterSpec(
            "text", message_field("Text", "Links are written <url|label>."), editable=True
        ),
        ParameterSpec("parse", _parse),
        ParameterSpec("link_names", _link_names, default="false"),
        ParameterSpec("details_table_format", _details_format, default="ascii"),
    )

    @classmethod
    def validate_parameters(
        cls, values: Mapping[str, str], *, require_secrets: bool = True
    ) -> dict[str, str]:
        errors: dict[str, str] = {}
        if require_secrets and not values.get("token"):
            errors["token"] = "A Bot User OAuth Token is required."  # noqa: S105
        if require_secrets and not split_channels(values.get("channels", "")):
            # Exports may leave them to the rules (editable); a form must name one.
            errors["channels"] = "Name at least one channel."
        if len(values.get("username", "")) > USERNAME_MAX:
            errors["username"] = f"Bot Username must be at most {USERNAME_MAX} characters."
        if values.get("parse", "") not in PARSE_MODES:
            errors["parse"] = "Parse Mode must be Default, none or full."
        if values.get("details_table_format", "ascii") not in ("", *DETAILS_FORMATS):
            errors["details_table_format"] = "Unknown details table format."
        return errors

    @classmethod
    def parameter_warnings(cls, values: Mapping[str, str]) -> list[str]:
        token = values.get("token", "")
        if token and not token.startswith("xoxb-"):
            return ["The token is not a bot token (xoxb-…): posts will show as the user's."]
        return []
