"""The PNG of a portal page, taken by this process's browser pool.

The browser has no session: it opens :func:`portal_url`, ``PORTAL_BASE_URL`` with the
portal's path and a signed, short-lived query (:mod:`notifications.portals.signing`).
"""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.urls import reverse

from notifications.portals import signing
from notifications.portals.catalog import Portal
from notifications.screenshots.pool import ScreenshotError, get_pool

__all__ = ["ScreenshotError", "portal_url", "take"]


def portal_url(portal: Portal, params: Mapping[str, str]) -> str:
    """The URL the web driver opens: ``PORTAL_BASE_URL`` + path + signed query."""
    base = settings.PORTAL_BASE_URL.rstrip("/")
    return f"{base}{reverse(portal.url_name)}?{signing.signed_query(portal.name, params)}"


def take(portal: Portal, params: Mapping[str, str], timeout_s: float | None = None) -> bytes:
    """PNG of ``portal`` with ``params`` at 1024x640; raises :class:`ScreenshotError`
    with a readable reason when no image can be made."""
    return get_pool().shot(portal_url(portal, params), timeout_s)
