"""Flap damping's marks in a real browser: Alert History shows which change started the
flapping, which were not sent and when the window was stable again; Open Alerts marks
the flapping alert.

``DOCS_SCREENSHOTS=<dir>`` also saves the history as ``flap-history.png`` there (the
README's picture).
"""

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from tests.browser.conftest import log_in
from tests.factories import make_alert, make_history

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCS = os.environ.get("DOCS_SCREENSHOTS", "")
RULE = "door-sensor"
CHANGES = [
    ("OPEN", ""), ("CANCEL", ""), ("OPEN", ""), ("CANCEL", "started"),
    ("OPEN", "ongoing"), ("CANCEL", "ongoing"), ("OPEN", "ongoing"), ("REPEAT", "ended"),
]  # fmt: skip


def _history() -> None:
    start = datetime(2026, 12, 8, 3, 0, tzinfo=UTC)
    for minute, (status, mark) in enumerate(CHANGES):
        word = {"OPEN": "Open", "CANCEL": "Cancel", "REPEAT": "Repeat"}[status]
        prefix = {"started": "Flapping: ", "ended": "Stable again after flapping: "}
        text = f"{prefix.get(mark, '')}{word} alert for gate-3, door_open, {{}}"
        make_history(
            date=start + timedelta(minutes=minute if mark != "ended" else 16), type=status,
            flapping=mark, rule=RULE, entity="gate-3", metric="door_open", value=1.0,
            severity="UNDEFINED" if status == "CANCEL" else "WARNING", rule_expression="value > 0",
            window="length(1)", alert=text, repeat_count=0, alert_duration=0,
            alert_open_date=start, received_date=None,
        )  # fmt: skip


def test_history_and_open_alerts_show_the_flap_marks(browser, wait, live_server, operator):
    _history()
    make_alert(rule=RULE, entity="gate-3", metric="door_open", tags={}, flapping=True)
    browser.set_window_size(1280, 800)
    log_in(browser, live_server, "oscar", "pw-oscar")
    wait.until(ec.title_contains("Open Alerts"))  # logged in before leaving the page
    browser.get(f"{live_server.url}/alerts/history/?rule={RULE}")
    wait.until(ec.title_contains("Alert History"))
    badges = [b.text for b in browser.find_elements(By.CSS_SELECTOR, ".flap-badge")]
    assert badges == ["stable", "flapping, not sent", "flapping, not sent",
                      "flapping, not sent", "flapping"]  # fmt: skip
    if DOCS:  # the whole width of the table, at two thirds of its size
        browser.set_window_size(1900, 820)
        browser.execute_script("document.body.style.zoom = '0.67';")
        Path(DOCS).mkdir(parents=True, exist_ok=True)
        assert browser.save_screenshot(str(Path(DOCS) / "flap-history.png"))
        browser.set_window_size(1280, 800)

    browser.get(f"{live_server.url}/alerts/open/")
    badge = wait.until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "tr.alert-row .flap-badge"))
    )
    assert badge.text == "flapping"
