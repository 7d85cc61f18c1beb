"""Send Screenshot on the endpoint form: capture the Test Portal, send it to the room."""

from __future__ import annotations

import logging

from notifications.endpoints.transport import TestOutcome, build_transport
from notifications.http import redact
from notifications.models import Endpoint
from notifications.portals import registry
from notifications.transports.base import TransportError
from rules.contract.series import last_recorded_series

logger = logging.getLogger(__name__)

FILENAME = "test_screenshot.png"  # spec §7.1


def sample_params(portal: registry.Portal) -> tuple[dict[str, str], str]:
    """Parameters showing the newest recorded series, and the entity they show."""
    found = last_recorded_series()
    if found is None:
        return {}, ""
    metric, entity, tags = found
    if portal.url_name != "portal-series":
        return {"entity": entity}, entity
    params = {"metric": metric, "entity": entity}
    params.update({f"tags.{k}": v for k, v in tags.items()})
    return params, entity


def send_test_screenshot(endpoint: Endpoint) -> TestOutcome:
    """Capture ``endpoint.test_portal`` and upload it with ``share/file`` (§7.1 Test).

    Never raises: a missing portal, a capture failure or the server's error come
    back as a failed outcome with a readable message (secrets redacted).
    """
    from notifications.screenshots import ScreenshotError, take

    portal = registry.lookup(endpoint.test_portal or "")
    if portal is None:
        return TestOutcome(False, None, "choose a Test Portal first")
    params, entity = sample_params(portal)
    try:
        png = take(portal, params)
    except ScreenshotError as exc:
        return TestOutcome(False, None, f"screenshot of {portal.name} failed: {exc}")
    secrets = endpoint.secret_values()
    try:
        transport = build_transport(endpoint)
        caption = f"{portal.name} for {entity}" if entity else portal.name
        sent = transport.share_file(FILENAME, png, "image/png", caption)  # type: ignore[attr-defined]
    except TransportError as exc:
        return TestOutcome(False, exc.status, redact(exc.message, secrets))
    logger.info("screenshot test of endpoint %r: HTTP %s", endpoint.name, sent.status)
    return TestOutcome(
        True, sent.status, f"HTTP {sent.status}: {FILENAME} ({len(png):,} bytes) sent."
    )
