"""Whether this server can take screenshots, and what to install when it cannot.

Local screenshots need Debian's ``chromium`` and ``chromium-driver`` at the configured
paths; ``make run`` installs them when it can (root or passwordless sudo) and says what
is missing otherwise. The endpoint form shows the same sentence next to Send
Screenshot, and a capture started without them answers with it.
"""

from __future__ import annotations

import os

from django.conf import settings

INSTALL = "apt-get install chromium chromium-driver"


def _executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def missing_browser() -> str | None:
    """What screenshots lack on this server, with the command that installs it; None
    when a Selenium Grid is configured or Chromium and chromedriver are in place."""
    if settings.WEBDRIVER_REMOTE_URL:
        return None
    missing = [
        f"{what} ({path})"
        for what, path in (
            ("Chromium", settings.WEBDRIVER_CHROMIUM),
            ("chromedriver", settings.WEBDRIVER_CHROMEDRIVER),
        )
        if not _executable(path)
    ]
    if not missing:
        return None
    return (
        f"Screenshots need {' and '.join(missing)}, not installed on this server: as root, "
        f"run `{INSTALL}` (or `make run` with root or passwordless sudo), or set "
        f"WEBDRIVER_REMOTE_URL to a Selenium Grid."
    )
