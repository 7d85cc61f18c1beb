"""The HIPCHAT endpoint form (spec §7.4): the Dec-2017 fields plus the single Auth Token
of later versions."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms

from notifications.channels.form import BoolStringField, EndpointForm, ParameterSpec, token_field
from notifications.channels.hipchat.transport import DEFAULT_BASE_URL, FROM_LIMIT

ROOM_MAX = 100


def _room() -> forms.Field:
    return forms.CharField(
        label="Room Id",
        max_length=ROOM_MAX,
        help_text="Room id (e.g. 2) or name (e.g. test-axibase).",
    )


def _bot_username() -> forms.Field:
    return forms.CharField(
        label="Bot Username",
        max_length=FROM_LIMIT,
        required=False,
        help_text=f"Label shown next to the sender name ('from'), at most {FROM_LIMIT} characters.",
    )


def _message_format() -> forms.Field:
    return forms.ChoiceField(
        label="Message Format",
        choices=[("text", "text"), ("html", "html")],
        help_text="html enables inline links; @mentions work only in text.",
    )


def _notify() -> forms.Field:
    return forms.ChoiceField(
        label="Notify",
        choices=[("", "Default"), ("true", "Yes"), ("false", "No")],
        required=False,
        help_text="Default omits the field (HipChat then does not notify).",
    )


# A new room's message: spec §7.4's documented text, with the acknowledge link of an
# open alert (empty for a CANCEL).
DEFAULT_MESSAGE = "[${status}] ${rule} for ${entity} ${tags}. ${ruleLink} ${ackLink}"


def _message() -> forms.Field:
    return forms.CharField(
        label="Message",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Blank = written in the rule editor.",
    )


def _add_links() -> forms.Field:
    return BoolStringField(
        label="Add Links to Portals",
        required=False,
        widget=forms.CheckboxInput(check_test=lambda value: value in (True, "true", "on")),
        help_text="After each chart image, send a message with the portal links.",
    )


class HipChatEndpointForm(EndpointForm):
    """A HipChat room, its tokens and how notifications look in it."""

    kind = "HIPCHAT"
    default_base_url = DEFAULT_BASE_URL
    parameter_specs = (
        ParameterSpec("room", _room, editable=True),
        ParameterSpec(
            "auth_token",
            token_field(
                "Auth Token", "One token with both send_message and send_notification scopes."
            ),
        ),
        ParameterSpec(
            "message_token",
            token_field("Message Token", "Scope send_message: files (charts, details tables)."),
        ),
        ParameterSpec(
            "notification_token",
            token_field("Notification Token", "Scope send_notification: alert notifications."),
        ),
        ParameterSpec("from", _bot_username),
        ParameterSpec("message_format", _message_format, default="text"),
        ParameterSpec("notify", _notify),
        ParameterSpec("message", _message, editable=True, default=DEFAULT_MESSAGE),
        ParameterSpec("add_links_to_portals", _add_links, default="false"),
    )

    @classmethod
    def validate_parameters(
        cls, values: Mapping[str, str], *, require_secrets: bool = True
    ) -> dict[str, str]:
        errors: dict[str, str] = {}
        tokens = values.get("notification_token") or values.get("auth_token")
        if require_secrets and not tokens:
            errors["notification_token"] = (
                "A Notification Token or an Auth Token is required to send notifications."  # noqa: S105
            )
        if len(values.get("from", "")) > FROM_LIMIT:
            errors["from"] = f"Bot Username must be at most {FROM_LIMIT} characters."
        if values.get("message_format", "text") not in ("", "text", "html"):
            errors["message_format"] = "Message Format must be text or html."
        if values.get("notify", "") not in ("", "true", "false"):
            errors["notify"] = "Notify must be Default, Yes or No."
        if len(values.get("room", "")) > ROOM_MAX:
            errors["room"] = f"Room Id must be at most {ROOM_MAX} characters."
        return errors

    @classmethod
    def parameter_warnings(cls, values: Mapping[str, str]) -> list[str]:
        if values.get("message_token") or values.get("auth_token"):
            return []
        return [
            "No Message Token or Auth Token: notifications work, but chart images and "
            "details tables (files, scope send_message) cannot be sent."
        ]
