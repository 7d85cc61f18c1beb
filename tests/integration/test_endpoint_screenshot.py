"""Send Screenshot on the endpoint form: the Test Portal captured and sent to the room."""

from __future__ import annotations

import struct
import time

import pytest

from notifications.screenshots.pool import reset_pool
from rules.events import SERIES, Event
from rules.history import recorder
from tests.unit.channels.slack.factories import TOKEN as SLACK_TOKEN
from tests.unit.channels.slack.factories import form_data as slack_form_data
from tests.unit.delivery.factories import hipchat_endpoint

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def shots(settings, live_server, broker):
    settings.PORTAL_BASE_URL = live_server.url
    settings.REDIS_URL = broker  # emptied: the newest series is the one written below
    now = int(time.time() * 1000)
    recorder.forget_known()
    recorder.write([Event(SERIES, "nurswgvml007", "cpu_busy", {}, now - i * 30_000, now, 20.0 + i)
                 for i in range(20)], now_ms=now)  # fmt: skip
    reset_pool()
    yield
    reset_pool()


def form_data(endpoint, portal: str) -> dict[str, str]:
    data = {"name": endpoint.name, "enabled": "true", "base_url": endpoint.base_url,
            "test_portal": portal}  # fmt: skip
    for p in endpoint.parameters:
        data[f"param_{p['key']}"] = p["value"]
    return data


def test_send_screenshot_sends_the_test_portal_png_to_the_room(admin_client, hipchat_fake):
    endpoint = hipchat_endpoint(hipchat_fake)
    endpoint.test_portal = "Default"
    endpoint.save()
    page = admin_client.get(f"/notifications/{endpoint.pk}/").content.decode()
    assert 'id="screenshot-button"' in page
    assert '<option value="Default" selected>' in page
    answer = admin_client.post(
        f"/notifications/{endpoint.pk}/screenshot/", form_data(endpoint, "Default")
    ).json()
    assert answer["ok"] is True, answer
    assert answer["status"] == 204
    [upload] = [r for r in hipchat_fake.room_messages(2) if r.endpoint == "share/file"]
    assert upload.file.filename == "test_screenshot.png"
    assert upload.metadata == {"message": "Default for nurswgvml007"}
    assert struct.unpack(">II", upload.file.data[16:24]) == (1024, 640)


def test_send_screenshot_without_a_portal_or_a_browser_answers_why(
    admin_client, hipchat_fake, settings
):
    endpoint = hipchat_endpoint(hipchat_fake)
    url = f"/notifications/{endpoint.pk}/screenshot/"
    assert admin_client.post(url, form_data(endpoint, "")).json()["message"] == (
        "choose a Test Portal first"
    )
    settings.WEBDRIVER_CHROMEDRIVER = "/nonexistent/chromedriver"
    answer = admin_client.post(url, form_data(endpoint, "Default")).json()
    assert answer["ok"] is False
    assert answer["message"] == f"screenshot of Default failed: {MISSING_DRIVER}"
    assert hipchat_fake.room_messages(2) == []


MISSING_DRIVER = (
    "Screenshots need chromedriver (/nonexistent/chromedriver), not installed on this "
    "server: as root, run `apt-get install chromium chromium-driver` (or `make run` with "
    "root or passwordless sudo), or set WEBDRIVER_REMOTE_URL to a Selenium Grid."
)


def test_the_form_says_next_to_send_screenshot_what_to_install(admin_client, settings):
    page = admin_client.get("/notifications/new/HIPCHAT/").content.decode()
    assert 'id="screenshot-unavailable"' not in page  # Chromium and its driver are here
    settings.WEBDRIVER_CHROMEDRIVER = "/nonexistent/chromedriver"
    page = admin_client.get("/notifications/new/HIPCHAT/").content.decode()
    notice = page.split('id="screenshot-unavailable">', 1)[1].split("</p>", 1)[0]
    assert notice == MISSING_DRIVER
    assert page.index('id="screenshot-button"') < page.index('id="screenshot-unavailable"')
    settings.WEBDRIVER_REMOTE_URL = "http://selenium:4444/wd/hub"  # a Grid needs neither
    page = admin_client.get("/notifications/new/HIPCHAT/").content.decode()
    assert 'id="screenshot-unavailable"' not in page


def test_send_screenshot_uploads_to_every_slack_channel(admin_client, slack_fake):
    slack_fake.add_token(SLACK_TOKEN)
    for name in ("alerts", "ops"):
        slack_fake.add_channel(name)
    data = slack_form_data(base_url=slack_fake.api_url, test_portal="Default")
    answer = admin_client.post("/notifications/new/SLACK/screenshot/", data).json()
    assert answer["ok"] is True, answer
    for name in ("alerts", "ops"):
        [message] = slack_fake.messages(name)
        assert message["files"][0]["name"] == "test_screenshot.png"
        assert message["text"] == "Default for nurswgvml007"
        png = slack_fake.uploaded(message["files"][0]["id"])
        assert struct.unpack(">II", png[16:24]) == (1024, 640)
