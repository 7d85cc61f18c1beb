"""The acknowledge link of a message, opened in a browser that is not logged in: the
page shows the alert, the button acknowledges it.

``DOCS_SCREENSHOTS=<dir>`` also saves the confirmation page as ``ack-link.png`` there
(the README's picture).
"""

import os
import time
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from rules.contract.ack_links import PATH_PREFIX, ack_token
from rules.models import AckLinkUse
from tests.factories import make_alert

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCS = os.environ.get("DOCS_SCREENSHOTS", "")


def test_an_operator_acknowledges_from_the_link_without_logging_in(browser, wait, live_server):
    alert = make_alert(rule="temperature-too-high", entity="br-1905", metric="temperature")
    token = ack_token(alert.rule, alert.window_key, alert.episode, int(time.time() * 1000))
    browser.delete_all_cookies()
    browser.set_window_size(1280, 800)
    browser.get(f"{live_server.url}{PATH_PREFIX}{token}/")
    wait.until(ec.title_contains("Acknowledge alert"))
    assert "temperature-too-high" in browser.find_element(By.ID, "ack-alert").text
    if DOCS:
        Path(DOCS).mkdir(parents=True, exist_ok=True)
        assert browser.save_screenshot(str(Path(DOCS) / "ack-link.png"))
    alert.refresh_from_db()
    assert not alert.acknowledged  # opening the page (a link preview) changes nothing

    browser.find_element(By.ID, "ack-confirm").click()
    wait.until(ec.presence_of_element_located((By.ID, "ack-done")))
    alert.refresh_from_db()
    assert alert.acknowledged
    outcomes = list(AckLinkUse.objects.order_by("id").values_list("outcome", flat=True))
    assert outcomes == ["VIEWED", "ACKNOWLEDGED"]
    assert "Chrome" in AckLinkUse.objects.last().user_agent
