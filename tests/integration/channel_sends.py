"""What the end-to-end tests of each channel kind share: a binding with the §9 texts
under the kind's text key, an hour of history to chart, and the portal settings."""

from __future__ import annotations

from typing import Any

from notifications.models import RuleNotification
from notifications.screenshots.pool import reset_pool
from rules.events import SERIES, Event
from rules.history import recorder
from tests.unit.delivery.factories import LATER_TEXT, OPEN_TEXT, T0, at, binding

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def text_binding(endpoint: str, text_key: str, **fields: Any) -> RuleNotification:
    """All triggers on, the §9 texts under ``text_key``; keywords override fields."""
    values = {
        "open_params": {text_key: OPEN_TEXT},
        "repeat_params": {text_key: LATER_TEXT},
        "cancel_params": {text_key: LATER_TEXT},
    }
    return binding(endpoint=endpoint, **{**values, **fields})


def temperature_history(n: int = 30) -> None:
    """``n`` minutes of br-1905 temperature before the trigger clock (T0 = 12:00)."""
    events = [
        Event(SERIES, "br-1905", "temperature", {}, at(-i), at(-i), 40.0 + i) for i in range(n)
    ]
    recorder.write(events, now_ms=T0)


def charts_from(settings: Any, live_server: Any) -> None:
    """Portal screenshots of ``live_server`` by a fresh browser pool."""
    settings.PORTAL_BASE_URL = live_server.url
    settings.WEBDRIVER_SHOT_TIMEOUT = 20
    reset_pool()
