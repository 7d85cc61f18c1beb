"""The one place that knows how to start a browser for screenshots.

Local: Debian's Chromium and chromedriver at the configured paths (Selenium
Manager is skipped, nothing is downloaded). Remote: a Selenium Grid at
``WEBDRIVER_REMOTE_URL`` (docker-compose's selenium service). The flags are the
ones measured to work as root in a container (``shared/environment.md``).
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from dataclasses import dataclass, field

from django.conf import settings
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.client_config import ClientConfig
from selenium.webdriver.remote.remote_connection import RemoteConnection

from notifications.screenshots.availability import missing_browser

WIDTH, HEIGHT = 1024, 640
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
)


class BrowserStartError(RuntimeError):
    """The browser or its driver could not be started (message says which and why)."""


@dataclass
class Browser:
    """A started driver and what must be cleaned after it (its profile directory)."""

    driver: webdriver.Remote
    profile: str | None = None
    pids: list[int] = field(default_factory=list)  # chromedriver's pid when local

    def quit(self) -> None:
        """Stop the browser; never raises (a crashed one is already gone)."""
        with contextlib.suppress(Exception):  # a dead driver refuses quit(); killed below
            self.driver.quit()
        service = getattr(self.driver, "service", None)
        process = getattr(service, "process", None)
        if process is not None and process.poll() is None:
            process.kill()
        if self.profile:
            shutil.rmtree(self.profile, ignore_errors=True)


def options(profile: str | None) -> webdriver.ChromeOptions:
    opts = webdriver.ChromeOptions()
    for flag in FLAGS:
        opts.add_argument(flag)
    opts.add_argument(f"--window-size={WIDTH},{HEIGHT}")
    if profile:
        opts.add_argument(f"--user-data-dir={profile}")
    return opts


def start(command_timeout_s: float) -> Browser:
    """A new browser sized to the screenshot viewport.

    ``command_timeout_s`` bounds every WebDriver HTTP call, so a hung driver
    cannot hold a worker forever. Raises :class:`BrowserStartError`.
    """
    remote = settings.WEBDRIVER_REMOTE_URL
    try:
        if remote:
            # selenium annotates timeout as int, but it is the urllib3 pool timeout in
            # seconds and takes a float (the default it falls back to is a float too).
            config = ClientConfig(remote_server_addr=remote, timeout=command_timeout_s)  # type: ignore[arg-type]
            driver = webdriver.Remote(command_executor=remote, options=options(None),
                                      client_config=config)  # fmt: skip
            browser = Browser(driver)
        else:
            path = settings.WEBDRIVER_CHROMEDRIVER
            missing = missing_browser()
            if missing:
                raise BrowserStartError(missing)
            profile = tempfile.mkdtemp(prefix="atsd-shot-")
            opts = options(profile)
            opts.binary_location = settings.WEBDRIVER_CHROMIUM
            try:
                driver = webdriver.Chrome(service=Service(path), options=opts)
            except BaseException:
                shutil.rmtree(profile, ignore_errors=True)
                raise
            executor = driver.command_executor
            if not isinstance(executor, RemoteConnection):  # WebDriver wraps a URL in one
                raise TypeError(f"unexpected command executor {executor!r}")
            executor._client_config.timeout = command_timeout_s
            browser = Browser(driver, profile, [driver.service.process.pid])
    except BrowserStartError:
        raise
    except Exception as exc:  # selenium raises many types for "could not start"
        where = remote or settings.WEBDRIVER_CHROMEDRIVER
        text = str(getattr(exc, "msg", "") or exc).strip().splitlines()
        raise BrowserStartError(
            f"web driver {where} failed to start: {type(exc).__name__}: {text[0] if text else ''}"
        ) from exc
    fit_viewport(browser.driver)
    return browser


def fit_viewport(driver: webdriver.Remote) -> None:
    """Make the page viewport exactly WIDTH x HEIGHT (the window may add borders)."""
    inner = driver.execute_script("return [window.innerWidth, window.innerHeight];")
    if inner != [WIDTH, HEIGHT]:
        size = driver.get_window_size()
        driver.set_window_size(
            size["width"] + WIDTH - int(inner[0]), size["height"] + HEIGHT - int(inner[1])
        )
