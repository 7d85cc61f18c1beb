"""Telegram end to end: a rule's OPEN, REPEAT and CANCEL through a real notify worker
on real Redis into the fake Bot API, with the chart on OPEN, the details table on
CANCEL and flood control (429 with ``retry_after`` in the body) on the way."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devtools.fakes.telegram import TelegramFake, running_telegram
from notifications.models import Delivery, DeliveryAttempt
from notifications.screenshots.pool import reset_pool
from rules.events import SERIES, Event
from rules.history import recorder
from tests.engine_helpers import poll
from tests.unit.channels.telegram.factories import CHAT_ID, bot_and_chat, make_telegram
from tests.unit.delivery.factories import (
    LATER_TEXT,
    OPEN_TEXT,
    RULE,
    SERVER_URL,
    T0,
    at,
    binding,
    engine_run,
)

pytestmark = pytest.mark.integration

RULE_LINK = f"[{RULE}]({SERVER_URL}/rule/edit.xhtml?name={RULE})"


@pytest.fixture(autouse=True)
def portal_settings(settings, live_server):
    settings.SERVER_URL = SERVER_URL
    settings.TIME_ZONE = "UTC"
    settings.PORTAL_BASE_URL = live_server.url
    settings.WEBDRIVER_SHOT_TIMEOUT = 20
    reset_pool()
    yield settings
    reset_pool()


@pytest.fixture
def telegram_fake() -> Iterator[TelegramFake]:
    with running_telegram() as fake:
        bot_and_chat(fake)
        yield fake


def test_open_repeat_cancel_arrive_in_order_with_chart_details_and_flood_control(
    telegram_fake, notify_worker
):
    make_telegram(base_url=telegram_fake.url)
    binding(
        endpoint="tg",
        open_params={"text": OPEN_TEXT},
        repeat_params={"text": LATER_TEXT},
        cancel_params={"text": LATER_TEXT},
        open_screenshot=True,
        cancel_details=True,
    )
    samples = [Event(SERIES, "br-1905", "temperature", {}, at(-5 + i), at(-5 + i), 40.0 + i)
               for i in range(5)]  # fmt: skip
    recorder.write(samples, now_ms=T0)
    telegram_fake.script(TelegramFake.flood(retry_after=1))
    run = engine_run()
    for i, value in enumerate((55, 60, 20)):  # OPEN, REPEAT, then avg 45: CANCEL
        run.series(value, at(0, i))

    poll(lambda: Delivery.objects.filter(status="DELIVERED").count() == 3, timeout=90)
    posted = telegram_fake.messages(CHAT_ID)
    assert [(p.method, p.text.split(" ")[0]) for p in posted] == [
        ("sendMessage", "OPEN"),
        ("sendPhoto", "Default"),
        ("sendMessage", "REPEAT"),
        ("sendMessage", "CANCEL"),
        ("sendDocument", ""),
    ]
    opened = posted[0].request
    assert opened is not None
    assert opened.json["text"] == f"[OPEN] {RULE} for br-1905 {{}}. {RULE_LINK}"
    assert opened.json["parse_mode"] == "Markdown"
    assert posted[1].file.startswith(b"\x89PNG")
    assert posted[1].file_name == f"{RULE}_br-1905_open_Default_20180222_1200000.png"
    assert posted[4].file_name == f"{RULE}_br-1905_cancel_20180222_1200020.txt"
    assert b"br-1905" in posted[4].file

    log = telegram_fake.log
    assert log[0].status == 429
    assert log[1].received_at - log[0].received_at >= 1.0  # retry_after honoured
    rows = Delivery.objects.order_by("sequence")
    assert [(d.trigger, d.attempts) for d in rows] == [
        ("OPEN", 2), ("REPEAT", 1), ("CANCEL", 1),
    ]  # fmt: skip
    ok = DeliveryAttempt.objects.filter(status="OK").order_by("id")
    assert [a.message_id for a in ok] == [str(p.message_id) for p in posted]
    assert DeliveryAttempt.objects.filter(response_code=429, status="RETRY").count() == 1
