"""The rule's Web Notifications tab in a real browser: add a HipChat binding with the
seed's three messages and a storm digest, and see it in the row and in the rule's XML."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select

from notifications.models import Endpoint, RuleNotification
from rules.models.rule import Rule
from rules.rulesxml.web_notifications import read_web_notification
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OPEN = "[${status}] ${rule} for ${entity} ${tags}. ${ruleLink}"
LATER = (
    "[${status}] ${rule} for ${entity} ${tags}. Duration: ${alert_duration_interval}. ${ruleLink}"
)


def _endpoints() -> None:
    hipchat = Endpoint(name="hc", kind="HIPCHAT")
    hipchat.set_parameters(
        [("room", "2", True), ("auth_token", "t0ken", False), ("message", "", True)]
    )
    hipchat.save()
    # Alphabetically first, so the page starts on it and the test has to switch.
    telegram = Endpoint(name="a-telegram", kind="TELEGRAM")
    telegram.set_parameters([("text", "", True), ("chat_id", "@ops", True)])
    telegram.save()


def _type(browser, element_id: str, text: str) -> None:
    field = browser.find_element(By.ID, element_id)
    field.clear()
    field.send_keys(text)


def test_add_a_hipchat_binding_with_three_messages_a_screenshot_and_a_storm_digest(
    browser, wait, live_server, administrator
):
    _endpoints()
    rule = Rule.objects.create(
        name="temperature-too-high",
        metric="temperature",
        window="length(3)",
        expression="avg() > 50",
    )
    log_in(browser, live_server, "alice", "pw-alice")
    wait.until(ec.title_contains("Open Alerts"))

    browser.get(f"{live_server.url}/rules/{rule.pk}/notifications/")
    wait.until(ec.title_contains("Web Notifications of temperature-too-high"))
    assert "No web notifications" in browser.find_element(By.ID, "bindings").text
    assert (
        browser.find_element(By.ID, "rule-editor-link")
        .get_attribute("href")
        .endswith(f"/rules/{rule.pk}/")
    )
    browser.find_element(By.ID, "add-binding").click()
    wait.until(ec.presence_of_element_located((By.ID, "binding-form")))
    assert browser.find_element(By.ID, "id_open_p0").get_attribute("name") == "open__param__text"

    # Choosing the HipChat endpoint reloads the form with its parameters (bindings.js).
    Select(browser.find_element(By.ID, "id_endpoint")).select_by_value("hc")
    wait.until(
        lambda b: (
            b.find_element(By.ID, "id_open_p0").get_attribute("name") == "open__param__message"
        )
    )
    assert (
        Select(browser.find_element(By.ID, "id_endpoint")).first_selected_option.get_attribute(
            "value"
        )
        == "hc"
    )

    _type(browser, "id_open_p0", OPEN)
    _type(browser, "id_repeat_p0", LATER)
    _type(browser, "id_cancel_p0", LATER)
    for box in ("id_open_enabled", "id_repeat_enabled", "id_cancel_enabled", "id_open_screenshot"):
        checkbox = browser.find_element(By.ID, box)
        if not checkbox.is_selected():
            checkbox.click()
        assert checkbox.is_selected()
    # A storm folds this binding's waiting messages into one digest from 25 on.
    browser.find_element(By.ID, "id_digest_enabled").click()
    _type(browser, "id_digest_threshold", "25")
    browser.find_element(By.ID, "save-binding").click()

    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "tr.binding-row")))
    listed = browser.find_element(By.CSS_SELECTOR, "tr.binding-row").text
    assert "hc" in listed
    assert "OPEN, REPEAT, CANCEL" in listed
    assert "saved" in browser.find_element(By.CSS_SELECTOR, ".messages").text

    row = RuleNotification.objects.get(rule_name=rule.name)
    assert row.endpoint_name == "hc"
    assert row.open_params["message"] == OPEN
    assert row.repeat_params["message"] == LATER
    assert row.cancel_params["message"] == LATER
    assert (row.open_enabled, row.repeat_enabled, row.cancel_enabled) == (True, True, True)
    assert row.open_screenshot is True
    assert (row.digest_enabled, row.digest_threshold) == (True, 25)

    rule.refresh_from_db()
    [xml] = rule.web_notifications_xml
    spec = read_web_notification(xml)
    assert spec.endpoint == "hc"
    assert spec.open.parameters["message"] == OPEN
    assert spec.repeat.parameters["message"] == LATER
    assert spec.cancel.parameters["message"] == LATER
    assert spec.open.screenshot is True
    assert "<rule-name>temperature-too-high</rule-name>" in xml
