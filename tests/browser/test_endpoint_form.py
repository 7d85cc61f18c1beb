"""The HIPCHAT endpoint form in a real browser: fill, Test (JS fetch), see success, Save."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from notifications.models import Endpoint
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HELLO = "Hello from Axibase Time Series Database"


def _fill(browser, field_id: str, value: str) -> None:
    element = browser.find_element(By.ID, field_id)
    element.clear()
    element.send_keys(value)


def test_create_test_and_save_a_hipchat_endpoint(
    browser, wait, live_server, administrator, hipchat_fake
):
    room = hipchat_fake.add_room("Ops Alerts")
    token = hipchat_fake.add_token(scopes=["send_notification", "send_message"])
    browser.set_window_size(1280, 900)
    log_in(browser, live_server, "alice", "pw-alice")
    wait.until(ec.title_contains("Open Alerts"))

    browser.get(f"{live_server.url}/notifications/")
    browser.find_element(By.LINK_TEXT, "Create").click()
    browser.find_element(By.LINK_TEXT, "HIPCHAT").click()
    wait.until(ec.presence_of_element_located((By.ID, "endpoint-form")))

    _fill(browser, "id_name", "ops-hipchat")
    _fill(browser, "id_base_url", hipchat_fake.url)
    _fill(browser, "id_param_room", "Ops Alerts")
    _fill(browser, "id_param_auth_token", token)
    _fill(browser, "id_param_from", "ATSD")
    assert browser.find_element(By.ID, "id_param_auth_token").get_attribute("type") == "password"

    url_before = browser.current_url
    browser.find_element(By.ID, "test-button").click()
    result = browser.find_element(By.ID, "test-result")
    wait.until(lambda _driver: "Test succeeded" in result.text)
    assert "HTTP 204" in result.text
    assert browser.current_url == url_before, "Test ran in the page, without a reload"
    [request] = hipchat_fake.room_messages(room)
    assert request.json["message"] == HELLO
    assert request.json["from"] == "ATSD"
    # Typed input values are properties, not attributes: the markup must not echo the token.
    assert token not in browser.page_source
    assert not Endpoint.objects.exists(), "Test saves nothing"

    browser.find_element(By.ID, "save-button").click()
    wait.until(ec.presence_of_element_located((By.ID, "endpoints")))
    assert "Endpoint ops-hipchat saved." in browser.page_source
    endpoint = Endpoint.objects.get(name="ops-hipchat")
    assert endpoint.parameter("auth_token") == token
    assert endpoint.base_url == hipchat_fake.url
    assert token not in browser.page_source


def test_show_reveals_the_stored_token_in_the_edit_form(
    browser, wait, live_server, administrator, hipchat_fake
):
    token = hipchat_fake.add_token()
    browser.set_window_size(1280, 900)
    log_in(browser, live_server, "alice", "pw-alice")
    wait.until(ec.title_contains("Open Alerts"))
    endpoint = Endpoint(name="shown", kind="HIPCHAT", base_url=hipchat_fake.url)
    endpoint.set_parameters([("room", "1", True), ("notification_token", token, False)])
    endpoint.save()

    browser.get(f"{live_server.url}/notifications/{endpoint.pk}/")
    field = browser.find_element(By.ID, "id_param_notification_token")
    assert token not in browser.page_source
    assert field.get_attribute("value") == ""
    show = browser.find_element(
        By.CSS_SELECTOR, "button.show-secret[data-target=id_param_notification_token]"
    )
    show.click()
    wait.until(lambda _driver: field.get_attribute("type") == "text")
    assert field.get_attribute("value") == token
