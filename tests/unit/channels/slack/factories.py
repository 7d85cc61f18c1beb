"""SLACK endpoints and form data for tests."""

from __future__ import annotations

from typing import Any

from notifications.models import Endpoint
from tests.unit.channels.factories import make_endpoint

TOKEN = "xoxb-1111-2222-secretsecret"

SLACK_PARAMETERS: list[tuple[str, str, bool]] = [
    ("token", TOKEN, False),
    ("channels", "alerts", True),
    ("username", "", False),
    ("text", "", True),
    ("parse", "", False),
    ("link_names", "false", False),
    ("details_table_format", "ascii", False),
]


def make_slack(name: str = "slack", *, save: bool = True, **overrides: Any) -> Endpoint:
    """A SLACK endpoint; ``params`` overrides parameter values by key."""
    return make_endpoint("SLACK", SLACK_PARAMETERS, name, save=save, **overrides)


def form_data(**overrides: Any) -> dict[str, str]:
    """POST data of a valid SLACK form (channels and text editable)."""
    data = {
        "name": "slack",
        "enabled": "true",
        "description": "",
        "base_url": "https://slack.com/api",
        "param_token": TOKEN,
        "param_channels": "alerts,ops",
        "editable_channels": "on",
        "param_username": "ATSD",
        "param_text": "",
        "editable_text": "on",
        "param_parse": "",
        "param_link_names": "",
        "param_details_table_format": "ascii",
    }
    data.update(overrides)
    return data
