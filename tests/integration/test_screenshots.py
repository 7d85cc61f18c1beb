"""Screenshots into HipChat end to end: a real notify worker, the pooled Chromium,
portal pages on a live server, the fake HipChat room.

Triggers come from the in-process engine stored through the worker's store path
(``tests.unit.delivery.factories``); the series history is written for the
trigger's clock. Every wait polls with a timeout; nothing sleeps a fixed time.
"""

from __future__ import annotations

import html
import os
import signal
import struct

import psutil
import pytest

from notifications.models import Delivery, DeliveryAttempt
from notifications.screenshots.pool import get_pool, reset_pool
from notifications.tasks import NOTIFY_QUEUE
from rules.events import SERIES, Event
from rules.history import recorder
from tests.engine_helpers import poll
from tests.unit.delivery.factories import (
    RULE,
    SERVER_URL,
    T0,
    at,
    binding,
    engine_run,
    hipchat_endpoint,
)
from tests.workers import running_worker

pytestmark = pytest.mark.integration

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHART = f"{SERVER_URL}/portals/series?metric=temperature&entity=br-1905"


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
def notify_worker(broker, transactional_db, hipchat_fake):
    with running_worker([NOTIFY_QUEUE]) as worker:
        yield worker


def history(entity: str = "br-1905", n: int = 30) -> None:
    """Temperature samples for the hour before the trigger clock (T0 = 12:00)."""
    events = [
        Event(SERIES, entity, "temperature", {}, at(minutes=-n + i), at(minutes=-n + i), 40.0 + i)
        for i in range(n)
    ]
    recorder.write(events, now_ms=T0)


def endpoint(fake, links: bool = True):
    ep = hipchat_endpoint(fake, message_format="html")
    values = [(p["key"], p["value"], p["editable"]) for p in ep.parameters]
    ep.set_parameters([*values, ("add_links_to_portals", "true" if links else "false", False)])
    ep.save()
    return ep


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def sent(fake) -> list:
    return fake.room_messages(2)


def test_the_room_gets_the_text_then_the_chart_png_then_the_links(notify_worker, hipchat_fake):
    endpoint(hipchat_fake)
    binding(open_screenshot=True)
    history()
    engine_run().series(55, at(0))
    hipchat_fake.wait_for(lambda log: len([r for r in log if r.accepted]) >= 3, timeout=60)
    text, image, links = sent(hipchat_fake)
    assert text.endpoint == "notification"
    assert text.json["message"].startswith("[OPEN] ")
    assert image.endpoint == "share/file"
    assert image.metadata == {"message": "Default for br-1905"}
    assert image.file.content_type.startswith("image/png")
    assert image.file.filename == f"{RULE}_br-1905_open_Default_20180222_1200000.png"
    assert png_size(image.file.data) == (1024, 640)
    assert len(image.file.data) > 5_000  # a drawn chart, not a blank page
    if os.environ.get("SCREENSHOT_DUMP"):  # look at the picture when changing the portal
        with open(os.environ["SCREENSHOT_DUMP"], "wb") as out:
            out.write(image.file.data)
    assert links.endpoint == "notification"
    assert f'<a href="{SERVER_URL}/rule/edit.xhtml?name={RULE}">{RULE}</a>' in links.json["message"]
    assert f'<a href="{html.escape(CHART)}">Default for br-1905</a>' in links.json["message"]
    poll(lambda: Delivery.objects.filter(status="DELIVERED").count() == 1, what="delivered")
    names = set(DeliveryAttempt.objects.filter(status="OK").values_list("request", flat=True))
    assert names == {"notification", "image-1", "links-1"}


def _kill_browsers() -> int:
    killed = 0
    for browser in get_pool().browsers():
        for pid in browser.pids:
            for child in psutil.Process(pid).children(recursive=True):
                if "chrom" in child.name():
                    os.kill(child.pid, signal.SIGKILL)
                    killed += 1
    return killed


def test_a_killed_browser_is_replaced_and_the_next_screenshot_arrives(notify_worker, hipchat_fake):
    endpoint(hipchat_fake, links=False)
    binding(open_screenshot=True, repeat_screenshot=True)
    history()
    run = engine_run()
    run.series(55, at(0))
    hipchat_fake.wait_for(lambda log: len([r for r in log if r.accepted]) >= 2, timeout=60)
    assert _kill_browsers() > 0
    run.series(60, at(1))
    hipchat_fake.wait_for(lambda log: len([r for r in log if r.accepted]) >= 4, timeout=60)
    files = [r for r in sent(hipchat_fake) if r.endpoint == "share/file"]
    assert [png_size(f.file.data) for f in files] == [(1024, 640)] * 2
    assert "_repeat_Default_" in files[1].file.filename
    assert get_pool().starts == 2


def test_without_a_web_driver_the_room_gets_the_chart_link_and_the_log_says_why(
    notify_worker, hipchat_fake, settings, tmp_path
):
    not_executable = tmp_path / "chromedriver"
    not_executable.write_text("#!/bin/sh\n")
    settings.WEBDRIVER_CHROMEDRIVER = str(not_executable)
    endpoint(hipchat_fake, links=False)
    binding(open_screenshot=True)
    engine_run().series(55, at(0))
    hipchat_fake.wait_for(lambda log: len([r for r in log if r.accepted]) >= 2, timeout=60)
    text, fallback = sent(hipchat_fake)
    assert text.json["message"].startswith("[OPEN] ")
    message = fallback.json["message"]
    assert fallback.endpoint == "notification"
    assert "chart could not be captured" in message
    assert "need chromedriver" in message
    assert f'<a href="{html.escape(CHART)}">Default</a>' in message
    poll(lambda: Delivery.objects.filter(status="DELIVERED").count() == 1, what="delivered")
    failure = DeliveryAttempt.objects.get(request="screenshot-1")
    assert failure.status == "ERROR"
    assert "chromedriver" in failure.error
    assert str(not_executable) in failure.error
