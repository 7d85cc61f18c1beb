"""The seed walkthrough end to end in a real browser (issue 7): what users came for.

An administrator creates the HipChat endpoint (Test and Send Screenshot reach the
room), imports the walkthrough rule with Auto-enable, binds it to the endpoint on its
Web Notifications tab with Attach Screenshot; samples fed over TCP (``manage.py feed``
against an in-process listener) open, repeat and cancel the alert through a real engine
worker, a real notify worker, real Redis and the fake HipChat; Open Alerts follows on
its own; an operator then sees and acknowledges an alert and is refused the endpoint
form.

Every wait polls with a timeout (WebDriverWait, ``fake.wait_for``); nothing sleeps.

``DOCS_SCREENSHOTS=<dir>`` also saves 1280x800 PNGs of the main pages there, for the
README's first steps (``make docs-screenshots``).
"""

from __future__ import annotations

import io
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from django.core.management import call_command
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from devtools.fakes.hipchat import RecordedRequest
from devtools.fakes.hipchat_room import StandaloneHipChat
from notifications.models import Endpoint, RuleNotification
from notifications.screenshots.pool import reset_pool
from rules.ingest.pipeline import hand_off
from rules.ingest.tcp import CommandListener, ListenerThread
from rules.models import Alert, AlertHistory
from rules.routing.handoff import route_table
from tests.browser.conftest import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
]

FIXTURE = (
    Path(__file__).resolve().parents[1] / "fixtures" / "rulesxml" / "walkthrough_short_window.xml"
)
RULE = "atsd.jvm.low_memory"
HELLO = "Hello from Axibase Time Series Database"
OPEN = "[${status}] ${rule} for ${entity} ${tags}. ${ruleLink}"
LATER = (
    "[${status}] ${rule} for ${entity} ${tags}. Duration: ${alert_duration_interval}. ${ruleLink}"
)
# The page refreshes every 3 s: a new alert shows within a few seconds (the deadline allows
# for a loaded machine). Waits poll, so generous limits cost nothing when things are quick.
OPEN_ALERTS_DEADLINE_S = 10
DELIVERY_TIMEOUT_S = 60
PAGE_TIMEOUT_S = 30
SHOT_SIZE = (1280, 800)
STATUS = re.compile(r"\[(OPEN|REPEAT|CANCEL)\] ")
PNG = b"\x89PNG\r\n\x1a\n"
OPEN_IN_ROOM = "//li[contains(@class, 'notification')][contains(., '[OPEN]')]"
DOCS = os.environ.get("DOCS_SCREENSHOTS", "")


@pytest.fixture
def hipchat_fake() -> Iterator[StandaloneHipChat]:
    """The fake the notify worker waits for, with the room page newcomers look at."""
    fake = StandaloneHipChat(port=0).start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def listener_port(screenshot_pool, engine_worker, notify_worker) -> Iterator[int]:
    """The TCP command listener in this process, handing off to the real engine worker."""
    thread = ListenerThread(CommandListener(hand_off, flush_ms=10))
    thread.start()
    yield thread.port
    thread.stop()


@pytest.fixture
def screenshot_pool() -> Iterator[None]:
    """A fresh web-driver pool for this test's settings, quit after the workers stopped."""
    reset_pool()
    yield
    reset_pool()


class Walkthrough:
    """The browser, the live server, the fake room and the feed, for one run."""

    def __init__(self, browser, live_server, fake: StandaloneHipChat, port: int) -> None:
        self.browser = browser
        self.url = live_server.url
        self.fake = fake
        self.port = port
        self.room = fake.add_room("Ops Alerts")
        self.notification_token = fake.add_token(scopes=["send_notification"])
        self.message_token = fake.add_token(scopes=["send_message"])
        stale_ok = (StaleElementReferenceException,)
        self.wait = WebDriverWait(browser, PAGE_TIMEOUT_S, 0.05, ignored_exceptions=stale_ok)
        self.soon = WebDriverWait(browser, OPEN_ALERTS_DEADLINE_S, 0.1, ignored_exceptions=stale_ok)

    # ------------------------------------------------------------ browser

    def go(self, link_text: str, title: str) -> None:
        """Follow a link of the page (the main menu, usually) and wait for its title."""
        self.browser.find_element(By.LINK_TEXT, link_text).click()
        self.wait.until(ec.title_contains(title))

    def type(self, element_id: str, text: str) -> None:
        field = self.browser.find_element(By.ID, element_id)
        field.clear()
        field.send_keys(text)

    def check(self, element_id: str) -> None:
        box = self.browser.find_element(By.ID, element_id)
        if not box.is_selected():
            box.click()
        assert box.is_selected(), element_id

    def shot(self, name: str, target: WebElement | None = None, *, bottom: bool = False) -> None:
        """Save the page area as ``<DOCS_SCREENSHOTS>/<name>.png`` when asked to, scrolled
        so that ``target`` is at the top (``bottom``: at the bottom)."""
        if not DOCS:
            return
        if target is not None:
            self.browser.execute_script(
                "arguments[0].scrollIntoView(arguments[1]);", target, not bottom
            )
        Path(DOCS).mkdir(parents=True, exist_ok=True)
        assert self.browser.save_screenshot(str(Path(DOCS) / f"{name}.png"))
        self.browser.execute_script("window.scrollTo(0, 0);")

    def alert_row(self) -> str | None:
        """The text of the rule's row on Open Alerts, or None."""
        for row in self.browser.find_elements(By.CSS_SELECTOR, "#open-alerts-body tr.alert-row"):
            text = row.text
            if RULE in text:
                return text
        return None

    # -------------------------------------------------------------- data

    def feed(self, pattern: str, count: int = 1, backfill_minutes: int = 0) -> None:
        """``manage.py feed`` to the in-process listener; returns once the samples are
        in the broker (each line is acknowledged after the hand-off)."""
        call_command(
            "feed", "--port", str(self.port), "--pattern", pattern, "--count", str(count),
            "--interval", "0", "--tags", "host=axibase", "--backfill", str(backfill_minutes),
            stdout=io.StringIO(),
        )  # fmt: skip

    def notifications(self) -> list[str]:
        """Texts of the room's notifications, oldest first (chart captions included)."""
        return [
            r.json["message"]
            for r in self.fake.room_messages(self.room)
            if r.endpoint == "notification"
        ]

    def statuses(self) -> list[str]:
        """The alert notifications: texts starting ``[OPEN]``, ``[REPEAT]`` or ``[CANCEL]``."""
        return [t for t in self.notifications() if STATUS.match(t)]

    def wait_statuses(
        self, check: Callable[[list[str]], bool], timeout: float = DELIVERY_TIMEOUT_S
    ) -> list[str]:
        """Poll the fake until ``check(statuses)`` holds; AssertionError after ``timeout``."""
        self.fake.wait_for(lambda _log: check(self.statuses()), timeout=timeout)
        return self.statuses()

    def pngs_after(self, text: str) -> list[RecordedRequest]:
        """PNG files shared to the room after the notification ``text``."""
        room = self.fake.room_messages(self.room)
        start = next(
            i
            for i, r in enumerate(room)
            if r.endpoint == "notification" and r.json["message"] == text
        )
        return [
            r
            for r in room[start + 1 :]
            if r.endpoint == "share/file"
            and r.file is not None
            and r.file.content_type.startswith("image/png")
            and r.file.data.startswith(PNG)
        ]


def _viewport(browser, width: int, height: int) -> None:
    """Size the window so that the page area (what screenshots hold) is width x height."""
    browser.set_window_size(width, height)
    inner = browser.execute_script("return [window.innerWidth, window.innerHeight];")
    browser.set_window_size(2 * width - inner[0], 2 * height - inner[1])


def _has(status: str, times: int = 1) -> Callable[[list[str]], bool]:
    return lambda texts: sum(t.startswith(f"[{status}]") for t in texts) >= times


def test_the_seed_walkthrough_as_administrator_then_operator(
    browser, live_server, settings, administrator, operator, hipchat_fake, listener_port
):
    settings.SERVER_URL = live_server.url  # links in messages lead back to this server
    settings.PORTAL_BASE_URL = live_server.url  # where the web driver opens charts
    _viewport(browser, *SHOT_SIZE)
    w = Walkthrough(browser, live_server, hipchat_fake, listener_port)
    rule_link = f'<a href="{live_server.url}/rule/edit.xhtml?name={RULE}">{RULE}</a>'

    # 0. The collector has been sending for an hour (history for the charts; no rule yet).
    w.feed("wave", count=60, backfill_minutes=60)

    # 1. Administrator: Alerts > Web Notifications > Create > HIPCHAT, Test,
    #    Test Portal + Send Screenshot, Enabled, Save.
    log_in(browser, live_server, "alice", "pw-alice")
    w.wait.until(ec.title_contains("Open Alerts"))
    w.go("Web Notifications", "Web Notifications")
    w.go("Create", "")
    w.go("HIPCHAT", "New")
    w.wait.until(ec.presence_of_element_located((By.ID, "endpoint-form")))
    w.type("id_name", "hc")
    w.type("id_base_url", hipchat_fake.url)
    w.type("id_param_room", str(w.room.id))
    w.type("id_param_message_token", w.message_token)
    w.type("id_param_notification_token", w.notification_token)
    w.type("id_param_from", "ATSD")
    Select(browser.find_element(By.ID, "id_param_message_format")).select_by_value("html")
    Select(browser.find_element(By.ID, "id_enabled")).select_by_value("true")
    browser.find_element(By.ID, "test-button").click()
    result = browser.find_element(By.ID, "test-result")
    w.wait.until(lambda _d: "Test succeeded" in result.text)
    assert "HTTP 204" in result.text
    assert w.notifications() == [HELLO]
    Select(browser.find_element(By.ID, "id_test_portal")).select_by_value("Default")
    browser.find_element(By.ID, "screenshot-button").click()
    w.wait.until(lambda _d: "Screenshot sent" in result.text)
    assert "HTTP 204" in result.text
    assert "test_screenshot.png" in result.text
    [shared] = w.pngs_after(HELLO)
    assert shared.file.filename == "test_screenshot.png"
    w.shot("01-endpoint-form", browser.find_element(By.ID, "id_name"))
    w.shot("01b-endpoint-test", result, bottom=True)
    browser.find_element(By.ID, "save-button").click()
    w.wait.until(ec.presence_of_element_located((By.ID, "endpoints")))
    assert "Endpoint hc saved." in browser.find_element(By.CSS_SELECTOR, ".messages").text
    endpoint = Endpoint.objects.get(name="hc")
    assert endpoint.enabled
    assert endpoint.parameter("notification_token") == w.notification_token

    # 2. Alerts > Rules > Import with Auto-enable New Rules.
    w.go("Rules", "Rules")
    browser.find_element(By.ID, "import-rules").click()
    w.wait.until(ec.title_contains("Import rules"))
    w.check("id_auto_enable")
    browser.find_element(By.ID, "id_file").send_keys(str(FIXTURE))
    browser.find_element(By.ID, "import-submit").click()
    w.wait.until(ec.title_contains("Import result"))
    row = browser.find_element(By.CSS_SELECTOR, f'tr[data-rule="{RULE}"]')
    assert row.find_element(By.CSS_SELECTOR, ".outcome").text == "created"
    assert row.find_element(By.CSS_SELECTOR, ".enabled").text == "enabled"
    w.shot("02-import-result")

    # 3. The rule's Web Notifications tab: endpoint, OPEN/REPEAT/CANCEL, messages, screenshot.
    w.go(RULE, f"Rule {RULE}")
    browser.find_element(By.ID, "rule-notifications-tab").click()
    w.wait.until(ec.title_contains(f"Web Notifications of {RULE}"))
    browser.find_element(By.ID, "add-binding").click()
    w.wait.until(ec.presence_of_element_located((By.ID, "binding-form")))
    Select(browser.find_element(By.ID, "id_endpoint")).select_by_value("hc")
    # Choosing the endpoint reloads the form with its parameters, the message first.
    message_field = (By.CSS_SELECTOR, "#id_open_p0[name=open__param__message]")
    w.wait.until(ec.presence_of_element_located(message_field))
    w.type("id_open_p0", OPEN)
    w.type("id_repeat_p0", LATER)
    w.type("id_cancel_p0", LATER)
    for box in ("id_open_enabled", "id_repeat_enabled", "id_cancel_enabled", "id_open_screenshot"):
        w.check(box)
    w.shot("03-rule-notifications", browser.find_element(By.ID, "trigger-open"))
    browser.find_element(By.ID, "save-binding").click()
    w.wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "tr.binding-row")))
    assert "OPEN, REPEAT, CANCEL" in browser.find_element(By.CSS_SELECTOR, "tr.binding-row").text
    binding = RuleNotification.objects.get(rule_name=RULE)
    assert (binding.endpoint_name, binding.open_screenshot) == ("hc", True)

    # 4. Samples over TCP: OPEN on Open Alerts within 5 s and in the room, REPEAT, CANCEL.
    w.go("Open Alerts", "Open Alerts")
    route_table().refresh(force=True)  # the router re-reads rules at most once a second
    w.feed("high")
    opened = w.soon.until(lambda _d: w.alert_row())
    assert "atsd" in opened
    assert "jvm_memory_used_percent" in opened
    assert "86" in opened
    [open_text] = w.wait_statuses(_has("OPEN"))
    assert open_text == f"[OPEN] {RULE} for atsd {{host=axibase}}. {rule_link}"
    # Attach Screenshot: the chart follows its text.
    w.fake.wait_for(lambda _log: w.pngs_after(open_text), timeout=DELIVERY_TIMEOUT_S)
    w.shot("04-open-alerts")

    w.feed("high")
    texts = w.wait_statuses(_has("REPEAT"))
    repeat = re.compile(rf"\[REPEAT\] {re.escape(RULE)} for atsd \{{host=axibase\}}\. Duration: \d")
    assert repeat.match(texts[1]), texts
    assert texts[1].endswith(f". {rule_link}"), texts

    fed_at = [0.0]

    def cancelled(_driver: object) -> bool:
        # Low samples repeat until the highs have left the 3-second window, then cancel;
        # one a second keeps the REPEATs well inside the room's 30 messages a minute.
        if time.monotonic() - fed_at[0] >= 1.0:
            w.feed("low")
            fed_at[0] = time.monotonic()
        try:
            w.wait_statuses(_has("CANCEL"), timeout=0.5)
        except AssertionError:
            return False
        return True

    WebDriverWait(browser, DELIVERY_TIMEOUT_S, 0.05).until(cancelled)
    texts = w.wait_statuses(_has("CANCEL"))
    cancel = re.compile(rf"\[CANCEL\] {re.escape(RULE)} for atsd \{{host=axibase\}}\. Duration: \d")
    assert cancel.match(texts[-1]), texts
    assert texts[-1].endswith(f". {rule_link}"), texts
    # In order, each once: OPEN, the REPEATs of every sample while open, CANCEL.
    assert [STATUS.match(t).group(1) for t in texts] == (
        ["OPEN"] + ["REPEAT"] * (len(texts) - 2) + ["CANCEL"]
    )
    w.soon.until(lambda _d: w.alert_row() is None)
    assert not Alert.objects.filter(rule=RULE).exists()
    w.go("Alert History", "Alert History")
    history = browser.find_element(By.CSS_SELECTOR, "table.history tbody").text
    assert RULE in history
    assert browser.find_elements(By.CSS_SELECTOR, "tr.history-open")
    assert browser.find_elements(By.CSS_SELECTOR, "tr.history-cancel")
    logged = AlertHistory.objects.filter(rule=RULE).order_by("id")
    assert list(logged.values_list("type", flat=True)) == ["OPEN", "CANCEL"]  # REPEATs unlogged
    w.shot("05-alert-history")
    browser.get(f"{hipchat_fake.url}/")
    w.wait.until(ec.title_contains("Ops Alerts"))
    room_page = browser.find_element(By.ID, "room-history").text
    assert "[OPEN] atsd.jvm.low_memory for atsd" in room_page
    assert "[CANCEL]" in room_page
    w.shot("06-hipchat-room", browser.find_element(By.XPATH, OPEN_IN_ROOM))

    # 5. Operator: Open Alerts shows a new alert, acknowledging works; no endpoint form.
    browser.get(f"{live_server.url}/alerts/open/")
    browser.find_element(By.CSS_SELECTOR, "form[action='/logout/'] button").click()
    w.wait.until(ec.title_contains("Log in"))
    log_in(browser, live_server, "oscar", "pw-oscar")
    w.wait.until(ec.title_contains("Open Alerts"))
    w.feed("high")
    w.soon.until(lambda _d: w.alert_row())
    alert = Alert.objects.get(rule=RULE)
    button = f"#alert-{alert.pk} button.ack-toggle"
    w.wait.until(lambda b: b.find_element(By.CSS_SELECTOR, button).click() or True)
    w.wait.until(
        lambda b: (
            b.find_element(By.ID, f"alert-{alert.pk}").get_attribute("data-acknowledged") == "true"
        )
    )
    alert.refresh_from_db()
    assert alert.acknowledged
    session = {"sessionid": browser.get_cookie("sessionid")["value"]}
    for path in ("/notifications/new/HIPCHAT/", f"/notifications/{endpoint.pk}/"):
        answer = requests.get(live_server.url + path, cookies=session, timeout=10)
        assert answer.status_code == 403, path
    browser.get(f"{live_server.url}/notifications/{endpoint.pk}/")
    assert "403" in browser.find_element(By.TAG_NAME, "body").text
    # The second OPEN and its chart reach the room before the workers stop.
    second_open = w.wait_statuses(_has("OPEN", times=2))[-1]
    w.fake.wait_for(lambda _log: w.pngs_after(second_open), timeout=DELIVERY_TIMEOUT_S)

    # 6. The alert's page: each trigger's stages, from the sample received to the room.
    def sent_shown(b) -> bool:
        b.get(f"{live_server.url}/alerts/{alert.pk}/")
        return "sent (web: " in b.find_element(By.ID, "alert-stages").text

    w.soon.until(sent_shown)
    [*stages, sent] = [
        row.text for row in browser.find_elements(By.CSS_SELECTOR, "#alert-stages-1 tbody th")
    ]
    assert stages == ["received", "routed", "evaluated", "stored"]
    assert sent.startswith("sent (web: ")
    w.shot("08-alert-stages", browser.find_element(By.XPATH, "//h2[text()='Stages']"))
