"""A small pool of browsers per process: started once, reused, replaced when broken.

A screenshot is a page load in an already running browser (design: "a screenshot
is a page load, not a browser start"). Each shot has a deadline; a browser that
crashed, hung or timed out is quit (its processes killed) and a fresh one takes
its slot on the next shot. A failed shot is retried once on a fresh browser, so
a browser killed between two alerts costs one restart, not a screenshot.
"""

from __future__ import annotations

import logging
import queue
import threading
import time

from django.conf import settings

from notifications.screenshots import browser as browsers

log = logging.getLogger(__name__)

READY_SCRIPT = "return document.body && document.body.getAttribute('data-portal-ready');"


class ScreenshotError(RuntimeError):
    """No screenshot could be made; the message says why (shown in the delivery log)."""


class _Slot:
    def __init__(self) -> None:
        self.browser: browsers.Browser | None = None


class BrowserPool:
    """``size`` browsers, each used by one thread at a time."""

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self._slots: queue.Queue[_Slot] = queue.Queue()
        for _ in range(self.size):
            self._slots.put(_Slot())
        self.starts = 0  # browsers started so far (benchmarks, tests)

    def shot(self, url: str, timeout_s: float | None = None) -> bytes:
        """PNG of ``url`` at the fixed viewport once the portal says it is drawn.

        Raises :class:`ScreenshotError` when no browser starts, the page does not
        get ready in time, or the browser fails twice.
        """
        timeout_s = float(timeout_s or settings.WEBDRIVER_SHOT_TIMEOUT)
        try:
            slot = self._slots.get(timeout=timeout_s)
        except queue.Empty:
            raise ScreenshotError(f"no browser free within {timeout_s:.0f} s") from None
        try:
            try:
                return self._shot(slot, url, timeout_s)
            except browsers.BrowserStartError as exc:
                raise ScreenshotError(str(exc)) from exc
            except Exception as exc:
                log.warning("screenshot of %s failed (%s); restarting the browser", url, exc)
                self._discard(slot)
                try:
                    return self._shot(slot, url, timeout_s)
                except browsers.BrowserStartError as exc2:
                    raise ScreenshotError(str(exc2)) from exc2
                except Exception as exc2:
                    self._discard(slot)
                    raise ScreenshotError(_describe(exc2)) from exc2
        finally:
            self._slots.put(slot)

    def _shot(self, slot: _Slot, url: str, timeout_s: float) -> bytes:
        if slot.browser is None:
            slot.browser = browsers.start(command_timeout_s=timeout_s + 5)
            self.starts += 1
        driver = slot.browser.driver
        driver.set_page_load_timeout(timeout_s)
        deadline = time.monotonic() + timeout_s
        driver.get(url)
        while driver.execute_script(READY_SCRIPT) != "1":
            if time.monotonic() > deadline:
                title = driver.title
                raise TimeoutError(f"portal not drawn within {timeout_s:.0f} s (page {title!r})")
            time.sleep(0.02)
        return driver.get_screenshot_as_png()

    def _discard(self, slot: _Slot) -> None:
        if slot.browser is not None:
            slot.browser.quit()
            slot.browser = None

    def browsers(self) -> list[browsers.Browser]:
        """The running browsers (for tests that kill one)."""
        return [s.browser for s in list(self._slots.queue) if s.browser is not None]

    def close(self) -> None:
        """Quit every idle browser."""
        for slot in list(self._slots.queue):
            self._discard(slot)


def _describe(exc: Exception) -> str:
    text = str(getattr(exc, "msg", "") or exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


_pool: BrowserPool | None = None
_pool_lock = threading.Lock()


def get_pool() -> BrowserPool:
    """This process's pool (created on first use, so only processes that take
    screenshots ever start a browser)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = BrowserPool(settings.WEBDRIVER_POOL_SIZE)
        return _pool


def reset_pool() -> None:
    """Quit the process's browsers and forget the pool (settings changed, tests)."""
    global _pool
    with _pool_lock:
        if _pool is not None:
            _pool.close()
        _pool = None
