"""TEAMS endpoints and form data for tests."""

from __future__ import annotations

from typing import Any

from notifications.models import Endpoint
from tests.unit.channels.factories import make_endpoint

WEBHOOK_URL = (
    "https://prod-00.westeurope.logic.azure.com:443/workflows/0123abcd/triggers/manual/paths/"
    "invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=secret-signature"
)

TEAMS_PARAMETERS: list[tuple[str, str, bool]] = [
    ("webhook_url", WEBHOOK_URL, False),
    ("text", "", True),
]


def make_teams(name: str = "teams", *, save: bool = True, **overrides: Any) -> Endpoint:
    """A TEAMS endpoint; ``params`` overrides parameter values by key."""
    return make_endpoint("TEAMS", TEAMS_PARAMETERS, name, save=save, **overrides)


def form_data(**overrides: Any) -> dict[str, str]:
    """POST data of a valid TEAMS form (text editable)."""
    data = {
        "name": "teams",
        "enabled": "true",
        "description": "",
        "base_url": "",
        "param_webhook_url": WEBHOOK_URL,
        "param_text": "",
        "editable_text": "on",
    }
    data.update(overrides)
    return data
