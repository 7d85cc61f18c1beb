"""Telegram endpoints and a bot with a chat on the fake Bot API, for tests."""

from __future__ import annotations

from typing import Any

from devtools.fakes.telegram import TelegramFake
from notifications.models import Endpoint

BOT_TOKEN = "123456789:AAtest-token-0123456789abcdefgh"
CHAT_ID = -1001234567890
TELEGRAM_PARAMETERS: list[tuple[str, str, bool]] = [
    ("bot_id", BOT_TOKEN, False),
    ("chat_id", "@ops_alerts", True),
    ("text", "", True),
    ("parse_mode", "Markdown", False),
    ("disable_notification", "false", False),
    ("disable_web_page_preview", "false", False),
    ("details_table_format", "ascii", False),
]


def bot_and_chat(fake: TelegramFake) -> None:
    """The test bot and the ``@ops_alerts`` channel it posts into."""
    fake.add_bot(BOT_TOKEN)
    fake.add_chat(CHAT_ID, type="channel", username="ops_alerts")


def make_telegram(name: str = "tg", *, save: bool = True, **overrides: Any) -> Endpoint:
    """A TELEGRAM endpoint; ``params`` overrides parameter values by key."""
    params = dict(overrides.pop("params", {}))
    endpoint = Endpoint(name=name, kind="TELEGRAM", **overrides)
    endpoint.set_parameters((k, params.pop(k, v), e) for k, v, e in TELEGRAM_PARAMETERS)
    assert not params, f"unknown TELEGRAM parameters {params}"
    if save:
        endpoint.full_clean()
        endpoint.save()
    return endpoint
