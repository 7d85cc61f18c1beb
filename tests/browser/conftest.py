"""Headless Chromium through Selenium, with Debian's driver path (nothing is downloaded)."""

import shutil
import tempfile

import pytest
from django.conf import settings
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

from notifications.screenshots.browser import FLAGS  # one set of Chromium flags for all


@pytest.fixture(scope="session")
def browser():
    profile = tempfile.mkdtemp(prefix="atsd-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = settings.WEBDRIVER_CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument("--window-size=1280,900")
    driver = webdriver.Chrome(service=Service(settings.WEBDRIVER_CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def wait(browser):
    return WebDriverWait(browser, 30, poll_frequency=0.05)


def log_in(browser, live_server, username: str, password: str) -> None:
    browser.delete_all_cookies()
    browser.get(f"{live_server.url}/login/")
    browser.find_element("id", "id_username").send_keys(username)
    browser.find_element("id", "id_password").send_keys(password)
    browser.find_element("css selector", "button[type=submit]").click()
