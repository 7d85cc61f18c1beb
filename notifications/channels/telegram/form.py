"""The TELEGRAM endpoint form (spec §7.5): Bot API Token, Chat ID, Text, parse mode,
Notifications, Web Page Preview and Details Table Format."""

from __future__ import annotations

import re
from collections.abc import Mapping

from django import forms

from notifications.channels.form import BoolStringField, EndpointForm, ParameterSpec, token_field
from notifications.channels.telegram.transport import DEFAULT_BASE_URL, PARSE_MODES
from rules.expressions.functions.content import TABLE_FORMATS

# A public channel's @username (5 to 32 characters) or a numeric id (negative for
# groups and channels).
CHAT_ID = re.compile(r"@[A-Za-z][A-Za-z0-9_]{4,31}|-?\d{1,20}")
# What @BotFather hands out: the bot's numeric id, a colon and the secret part.
BOT_TOKEN = re.compile(r"\d+:[A-Za-z0-9_-]{20,}")


def _checkbox(label: str, help_text: str) -> forms.Field:
    return BoolStringField(
        label=label,
        required=False,
        widget=forms.CheckboxInput(check_test=lambda value: value in (True, "true", "on")),
        help_text=help_text,
    )


def _chat_id() -> forms.Field:
    return forms.CharField(
        label="Chat ID",
        max_length=64,
        help_text="@channelname of a public channel, or the numeric id of a chat "
        "(negative for groups and private channels).",
    )


def _text() -> forms.Field:
    return forms.CharField(
        label="Text",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Blank = written in the rule editor.",
    )


def _parse_mode() -> forms.Field:
    return forms.ChoiceField(
        label="Parse Mode",
        choices=[(mode, mode or "None (plain text)") for mode in PARSE_MODES],
        required=False,
        help_text="Markdown and HTML show links as labels; a text that does not parse "
        "is sent as plain text.",
    )


def _details_format() -> forms.Field:
    return forms.ChoiceField(
        label="Details Table Format", choices=[(f, f) for f in TABLE_FORMATS], required=False
    )


class TelegramEndpointForm(EndpointForm):
    """A Telegram bot and the chat it posts into."""

    kind = "TELEGRAM"
    target_keys = ("chat_id",)
    default_base_url = DEFAULT_BASE_URL
    parameter_specs = (
        ParameterSpec("bot_id", token_field("Bot API Token", "The token @BotFather gave the bot.")),
        ParameterSpec("chat_id", _chat_id, editable=True),
        ParameterSpec("text", _text, editable=True),
        ParameterSpec("parse_mode", _parse_mode, default="Markdown"),
        ParameterSpec(
            "disable_notification",
            lambda: _checkbox("Silent", "Deliver without a sound (disable_notification)."),
            default="false",
        ),
        ParameterSpec(
            "disable_web_page_preview",
            lambda: _checkbox("No Web Page Preview", "Do not show a preview of links."),
            default="false",
        ),
        ParameterSpec("details_table_format", _details_format, default="ascii"),
    )

    @classmethod
    def validate_parameters(
        cls, values: Mapping[str, str], *, require_secrets: bool = True
    ) -> dict[str, str]:
        errors: dict[str, str] = {}
        token = values.get("bot_id", "")
        if require_secrets and not token:
            errors["bot_id"] = "A Bot API Token is required."
        elif token and not BOT_TOKEN.fullmatch(token):
            errors["bot_id"] = "A Bot API Token looks like 123456789:AAH… (from @BotFather)."
        chat = values.get("chat_id", "").strip()
        if chat and "${" not in chat and not CHAT_ID.fullmatch(chat):
            errors["chat_id"] = "Chat ID is @channelname or a number such as -1001234567890."
        if values.get("parse_mode", "") not in PARSE_MODES:
            errors["parse_mode"] = "Parse Mode must be Markdown, HTML or none."
        return errors
