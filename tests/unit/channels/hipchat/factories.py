"""Endpoint factories for tests."""

from __future__ import annotations

from typing import Any

from notifications.models import Endpoint
from tests.unit.channels.factories import make_endpoint

HIPCHAT_PARAMETERS: list[tuple[str, str, bool]] = [
    ("room", "Ops Alerts", True),
    ("auth_token", "", False),
    ("message_token", "", False),
    ("notification_token", "", False),
    ("from", "atsd", False),
    ("message_format", "text", False),
    ("notify", "", False),
    ("message", "", True),
    ("add_links_to_portals", "false", False),
]


def make_hipchat(name: str = "hc", *, save: bool = True, **overrides: Any) -> Endpoint:
    """A HIPCHAT endpoint; ``params`` overrides parameter values by key."""
    return make_endpoint("HIPCHAT", HIPCHAT_PARAMETERS, name, save=save, **overrides)


def form_data(**overrides: Any) -> dict[str, str]:
    """POST data of a valid HIPCHAT form (notification token set, room and message editable)."""
    data = {
        "name": "hc",
        "enabled": "true",
        "description": "",
        "base_url": "https://api.hipchat.com",
        "param_room": "Ops Alerts",
        "editable_room": "on",
        "param_auth_token": "",
        "param_message_token": "",
        "param_notification_token": "notif-secret-1",
        "param_from": "atsd",
        "param_message_format": "text",
        "param_notify": "",
        "param_message": "",
        "editable_message": "on",
        "proxy_url": "",
        "proxy_username": "",
        "proxy_password": "",
        "ca_bundle": "",
        "test_portal": "",
    }
    for key, value in overrides.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data
