"""Test on history in the rule editor: the condition typed in (unsaved) replayed over
the series history, its OPEN/REPEAT/CANCEL sequence on a chart and in a table, and the
message its binding would have sent.

``DOCS_SCREENSHOTS=<dir>`` also saves the README's picture of it (``make docs-screenshots``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from notifications.models import Endpoint
from rules.models import Rule
from tests.browser.conftest import log_in
from tests.factories import bindings_xml
from tests.unit.backtest.history import MIN, feed, now_ms, sample
from tests.unit.delivery.factories import binding
from tests.unit.history.conftest import clean_redis  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VALUES = [50, 50, 75, 80, 85, 60, 50, 95, 96, 40, 50]
DOCS = os.environ.get("DOCS_SCREENSHOTS", "")


@pytest.fixture
def rule() -> Rule:
    """A saved rule that never fires over the history, with a HipChat binding."""
    rule = Rule.objects.create(
        name="cpu-busy", metric="cpu_busy", window="count(1)", expression="value > 99"
    )
    endpoint = Endpoint(name="hc", kind="HIPCHAT")
    endpoint.set_parameters(
        [("room", "2", True), ("auth_token", "t0ken", False), ("message", "", True)]
    )
    endpoint.save()
    row = binding(rule.name, endpoint="hc")
    rule.web_notifications_xml = bindings_xml([row], rule.name)
    rule.save()
    return rule


def test_test_on_history_shows_the_sequence_of_the_unsaved_condition(
    browser,
    wait,
    live_server,
    administrator,
    rule,
    clean_redis,  # noqa: F811
):
    t0 = now_ms() - 55 * MIN
    feed(
        sample(float(v), t0 + i * 5 * MIN, entity="web-1", metric="cpu_busy")
        for i, v in enumerate(VALUES)
    )
    log_in(browser, live_server, "alice", "pw-alice")
    wait.until(ec.title_contains("Open Alerts"))
    browser.get(f"{live_server.url}/rules/{rule.pk}/edit/")
    condition = browser.find_element(By.ID, "id_expression")
    condition.clear()
    condition.send_keys("value > 70")
    browser.find_element(By.ID, "test-on-history").click()

    rows = wait.until(
        lambda b: b.find_elements(By.CSS_SELECTOR, "#backtest-sequence tbody tr") or None
    )
    statuses = [row.find_elements(By.TAG_NAME, "td")[1].text for row in rows]
    assert statuses == ["OPEN", "REPEAT", "REPEAT", "CANCEL", "OPEN", "REPEAT", "CANCEL"]
    assert browser.find_element(By.ID, "backtest-summary").text.startswith("11 samples from")
    assert browser.find_elements(By.CSS_SELECTOR, "#backtest-charts canvas")
    messages = browser.find_elements(By.CSS_SELECTOR, "#backtest-messages .backtest-text")
    assert messages[0].text.startswith("[OPEN] cpu-busy for web-1")
    assert len(messages) == 7
    # Only tested: the rule is saved as it was.
    assert Rule.objects.get(pk=rule.pk).expression == "value > 99"
    if DOCS:
        browser.set_window_size(1280, 1400)
        browser.execute_script("document.getElementById('backtest').scrollIntoView(true);")
        Path(DOCS).mkdir(parents=True, exist_ok=True)
        assert browser.save_screenshot(str(Path(DOCS) / "07-test-on-history.png"))
        browser.set_window_size(1280, 900)
