"""Headless Chromium through Selenium, with Debian's driver path (nothing is downloaded)."""

import shutil
import tempfile

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    profile = tempfile.mkdtemp(prefix="atsd-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument("--window-size=1280,900")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def wait(browser):
    return WebDriverWait(browser, 10, poll_frequency=0.05)


def log_in(browser, live_server, username: str, password: str) -> None:
    browser.delete_all_cookies()
    browser.get(f"{live_server.url}/login/")
    browser.find_element("id", "id_username").send_keys(username)
    browser.find_element("id", "id_password").send_keys(password)
    browser.find_element("css selector", "button[type=submit]").click()
