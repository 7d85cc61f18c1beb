"""The UI shell in a real browser: login, ATSD's navigation, a phone-sized viewport."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ALERTS_MENU = [
    "Open Alerts",
    "Alert History",
    "Rules",
    "Rule Windows",
    "Rule Errors",
    "Web Notifications",
    "Notification Log",
]
DATA_MENU = [
    "Entities",
    "Entity Groups",
    "Metrics",
    "Messages",
    "Properties",
    "Replacement Tables",
    "Named Collections",
    "Portals",
]
# What an operator sees; administrators also configure the mail client.
NAVIGATION = ALERTS_MENU + DATA_MENU
ADMIN_NAVIGATION = [*ALERTS_MENU, "Mail Client", *DATA_MENU]


def test_login_leads_to_open_alerts_with_atsd_navigation(browser, wait, live_server, administrator):
    browser.set_window_size(1280, 900)
    browser.get(f"{live_server.url}/entities/")
    wait.until(ec.url_contains("/login/"))
    log_in(browser, live_server, "alice", "pw-alice")
    wait.until(ec.title_contains("Open Alerts"))
    links = [a.text for a in browser.find_elements(By.CSS_SELECTOR, ".mainnav a")]
    assert links == ADMIN_NAVIGATION
    for name in ADMIN_NAVIGATION:
        link = browser.find_element(By.LINK_TEXT, name)
        assert link.is_displayed()


def test_every_navigation_page_opens_without_error(browser, wait, live_server, operator):
    browser.set_window_size(1280, 900)
    log_in(browser, live_server, "oscar", "pw-oscar")
    wait.until(ec.title_contains("Open Alerts"))
    for name in NAVIGATION:
        browser.find_element(By.LINK_TEXT, name).click()
        wait.until(ec.presence_of_element_located((By.TAG_NAME, "h1")))
        assert browser.find_element(By.TAG_NAME, "h1").text
        assert "Server Error" not in browser.page_source


def test_on_a_phone_the_menu_folds_and_opens(browser, wait, live_server, operator):
    browser.set_window_size(390, 844)
    try:
        log_in(browser, live_server, "oscar", "pw-oscar")
        wait.until(ec.title_contains("Open Alerts"))
        nav = browser.find_element(By.CSS_SELECTOR, ".mainnav")
        assert not nav.is_displayed()
        browser.find_element(By.CSS_SELECTOR, ".nav-toggle-label").click()
        wait.until(lambda driver: nav.is_displayed())
        width = browser.execute_script("return document.documentElement.scrollWidth")
        assert width <= 390, "no horizontal scrolling of the page itself"
    finally:
        browser.set_window_size(1280, 900)
