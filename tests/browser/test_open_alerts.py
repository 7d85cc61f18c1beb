"""Open Alerts in a real browser: rows appear, change and vanish without a page reload."""

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from rules.models import Alert
from tests.browser.conftest import log_in
from tests.factories import make_alert

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The page refreshes every 3 s; 5 s is what an operator may wait for a new alert.
REFRESH_DEADLINE_S = 5
MARKER = "return window.__openAlertsMarker === 'still-here';"


def _row(browser, pk):
    rows = browser.find_elements(By.ID, f"alert-{pk}")
    return rows[0] if rows else None


def _row_attribute(browser, pk, name):
    row = _row(browser, pk)
    return row.get_attribute(name) if row is not None else None


def _click(browser, selector):
    """Click, tolerating the table being replaced by a refresh between find and click."""
    browser.find_element(By.CSS_SELECTOR, selector).click()
    return True


def test_rows_follow_the_database_without_a_reload(browser, wait, live_server, operator):
    browser.set_window_size(1280, 900)
    log_in(browser, live_server, "oscar", "pw-oscar")
    wait.until(ec.title_contains("Open Alerts"))
    assert "No open alerts" in browser.find_element(By.ID, "open-alerts-body").text
    # A full reload would wipe this variable: its survival proves in-place updates.
    browser.execute_script("window.__openAlertsMarker = 'still-here';")

    alert = make_alert(entity="br-1905", rule="temperature-too-high", metric="temperature")
    # The table body is replaced every refresh, so elements found a moment ago may be stale.
    stale_ok = (StaleElementReferenceException,)
    soon = WebDriverWait(browser, REFRESH_DEADLINE_S, 0.1, ignored_exceptions=stale_ok)
    patient = WebDriverWait(browser, 10, 0.05, ignored_exceptions=stale_ok)
    row_text = soon.until(lambda driver: _row(driver, alert.pk) and _row(driver, alert.pk).text)
    assert "br-1905" in row_text
    assert "temperature-too-high" in row_text
    assert browser.find_element(By.ID, "open-alerts-count").text.startswith("1 open alert")
    assert browser.execute_script(MARKER)

    assert _row_attribute(browser, alert.pk, "data-acknowledged") == "false"
    patient.until(lambda driver: _click(driver, f"#alert-{alert.pk} button.ack-toggle"))
    patient.until(lambda driver: _row_attribute(driver, alert.pk, "data-acknowledged") == "true")
    alert.refresh_from_db()
    assert alert.acknowledged is True
    assert browser.execute_script(MARKER)

    Alert.objects.filter(pk=alert.pk).delete()
    soon.until(lambda driver: _row(driver, alert.pk) is None)
    assert "No open alerts" in browser.find_element(By.ID, "open-alerts-body").text
    assert browser.execute_script(MARKER)
