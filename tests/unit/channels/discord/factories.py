"""DISCORD endpoints and form data for tests."""

from __future__ import annotations

from typing import Any

from notifications.models import Endpoint
from tests.unit.channels.factories import make_endpoint

WEBHOOK_ID = "1100000000000000001"
WEBHOOK_TOKEN = "hook-token-0123456789-secret"
WEBHOOK_URL = f"https://discord.com/api/webhooks/{WEBHOOK_ID}/{WEBHOOK_TOKEN}"

DISCORD_PARAMETERS: list[tuple[str, str, bool]] = [
    ("webhook_id", WEBHOOK_ID, False),
    ("webhook_token", WEBHOOK_TOKEN, False),
    ("username", "", False),
    ("content", "", True),
]


def make_discord(name: str = "discord", *, save: bool = True, **overrides: Any) -> Endpoint:
    """A DISCORD endpoint; ``params`` overrides parameter values by key."""
    return make_endpoint("DISCORD", DISCORD_PARAMETERS, name, save=save, **overrides)


def form_data(**overrides: Any) -> dict[str, str]:
    """POST data of a valid DISCORD form: the Webhook URL pasted, content editable."""
    data = {
        "name": "discord",
        "enabled": "true",
        "description": "",
        "base_url": "https://discord.com",
        "webhook_url": WEBHOOK_URL,
        "param_webhook_id": "",
        "param_webhook_token": "",
        "param_username": "ATSD",
        "param_content": "",
        "editable_content": "on",
    }
    data.update(overrides)
    return data
