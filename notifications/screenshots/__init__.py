"""Chart screenshots: portal pages captured by a pooled headless browser.

* :func:`portal_url` — the signed, short-lived URL the web driver opens
  (``PORTAL_BASE_URL``); :func:`public_url` — the link people click (``SERVER_URL``).
* :func:`take` — PNG bytes of a portal at 1024x640 from this process's pool.
* :func:`series_params` — the ``Default`` portal's parameters for a trigger:
  its metric, entity, window tags, the hour up to the trigger, the window's first
  sample and open time marked, the rule (whose simple threshold is drawn).

Raises :class:`ScreenshotError` with a readable reason when no image can be made.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse

from notifications.portals import signing
from notifications.portals.registry import Portal
from notifications.portals.views import threshold_of
from notifications.screenshots.pool import ScreenshotError, get_pool

__all__ = ["ScreenshotError", "portal_url", "public_url", "series_params", "take"]

RANGE_MS = 3_600_000  # the Default portal shows the hour up to the trigger
AFTER_MS = 60_000  # and a minute after it, so the last sample is not on the edge


def series_params(trigger: Any) -> dict[str, str]:
    """Parameters of the ``Default`` portal for a trigger snapshot."""
    params = {"metric": trigger.metric, "entity": trigger.entity or ""}
    for name, value in sorted((trigger.window_tags or trigger.tags or {}).items()):
        params[f"tags.{name}"] = str(value)
    end = int(trigger.now_ms) + AFTER_MS
    params.update(start=str(end - RANGE_MS - AFTER_MS), end=str(end), rule=trigger.rule)
    if trigger.open_time:
        params["open_time"] = str(int(trigger.open_time))
    if trigger.times:
        params["window_start"] = str(int(min(trigger.times)))
    threshold = threshold_of(getattr(trigger, "expression", "") or "")
    if threshold is not None:
        params["threshold"] = repr(threshold)
    return params


def portal_url(portal: Portal, params: Mapping[str, str]) -> str:
    """The URL the web driver opens: ``PORTAL_BASE_URL`` + path + signed query."""
    base = settings.PORTAL_BASE_URL.rstrip("/")
    return f"{base}{reverse(portal.url_name)}?{signing.signed_query(portal.name, params)}"


def public_url(portal: Portal, params: Mapping[str, str]) -> str:
    """The link for people (behind their login): ``SERVER_URL`` + path + query."""
    base = settings.SERVER_URL.rstrip("/")
    return f"{base}{reverse(portal.url_name)}?{urlencode(sorted(params.items()))}"


def take(portal: Portal, params: Mapping[str, str], timeout_s: float | None = None) -> bytes:
    """PNG of ``portal`` with ``params``; raises :class:`ScreenshotError`."""
    return get_pool().shot(portal_url(portal, params), timeout_s)
