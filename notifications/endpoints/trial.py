"""The endpoint form's **Test** and **Send Screenshot** (spec §7.1): one send with the
form's values, its outcome as one sentence.

Both work for unsaved endpoints and ignore the enabled flag: trying a disabled
endpoint before enabling it is the point. Neither raises: a kind that cannot send,
a missing portal, a capture failure or the server's error come back as a failed
:class:`TrialOutcome` with a readable message, secrets redacted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from notifications.channels.base import Attachment, TransportError
from notifications.channels.http import redact
from notifications.models import Endpoint
from notifications.portals import catalog
from notifications.screenshots.capture import ScreenshotError, take
from notifications.screenshots.charts import trial_chart
from rules.contract.series import SeriesName

logger = logging.getLogger(__name__)

TEST_TEXT = "Hello from Axibase Time Series Database"


@dataclass(frozen=True)
class TrialOutcome:
    """What the form shows: ``ok``, the HTTP ``status`` (None = no response) and a
    one-line ``message`` with the server's own error text. Never a secret."""

    ok: bool
    status: int | None
    message: str

    def as_json(self) -> dict[str, object]:
        return {"ok": self.ok, "status": self.status, "message": self.message}


def send_test(endpoint: Endpoint) -> TrialOutcome:
    """Send ``Hello from Axibase Time Series Database`` with ``endpoint``'s values, to
    each of its destinations (a Slack endpoint's channels); the first failure ends it."""
    try:
        transport = endpoint.transport()
        targets = transport.targets()
        for target in targets:
            sent = transport.send_text(TEST_TEXT, severity="NORMAL", target=target)
    except TransportError as exc:
        message = redact(exc.message, endpoint.secret_values())
        logger.info("test of endpoint %r failed: %s", endpoint.name, message)
        return TrialOutcome(False, exc.status, message)
    logger.info("test of endpoint %r: HTTP %s", endpoint.name, sent.status)
    where = endpoint.parameter("room")
    target = f" to room {where}" if where else ""
    if any(targets):
        target = " to " + ", ".join(targets)
    return TrialOutcome(True, sent.status, f"HTTP {sent.status}: test message sent{target}.")


def send_test_screenshot(endpoint: Endpoint, series: SeriesName | None = None) -> TrialOutcome:
    """Capture ``endpoint.test_portal`` showing ``series`` (by default the most recently
    active series of the users' data) and share it as ``test_screenshot.png`` with each
    of the endpoint's destinations."""
    portal = catalog.lookup(endpoint.test_portal or "")
    if portal is None:
        return TrialOutcome(False, None, "choose a Test Portal first")
    chart = trial_chart(portal, series)
    try:
        png = take(portal, chart.params)
    except ScreenshotError as exc:
        return TrialOutcome(False, None, f"screenshot of {portal.name} failed: {exc}")
    file = Attachment(chart.filename, png, "image/png", chart.caption)
    try:
        transport = endpoint.transport()
        for target in transport.targets():
            sent = transport.send_file(file, target=target)
    except TransportError as exc:
        return TrialOutcome(False, exc.status, redact(exc.message, endpoint.secret_values()))
    logger.info("screenshot test of endpoint %r: HTTP %s", endpoint.name, sent.status)
    return TrialOutcome(
        True, sent.status, f"HTTP {sent.status}: {chart.filename} ({len(png):,} bytes) sent."
    )
