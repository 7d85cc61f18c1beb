"""From a stored (or unsaved) :class:`Endpoint` to a ready transport, and the Test send.

Each supported kind has one builder here; the registry says which kinds are
supported and which class sends for them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from notifications.http import redact
from notifications.models import Endpoint
from notifications.transports.base import Transport, TransportError
from notifications.transports.hipchat import TEST_TEXT, HipChatConfig, HipChatTransport

logger = logging.getLogger(__name__)


def _hipchat(endpoint: Endpoint) -> Transport:
    config = HipChatConfig.from_parameters(
        endpoint.parameter_values(),
        base_url=endpoint.base_url.strip(),
        http=endpoint.http_settings(),
    )
    return HipChatTransport(config)


BUILDERS: dict[str, Callable[[Endpoint], Transport]] = {"HIPCHAT": _hipchat}


def build_transport(endpoint: Endpoint) -> Transport:
    """The transport for ``endpoint``.

    Raises :class:`TransportError` (permanent) when the kind cannot send or the
    configuration is unusable (e.g. no room).
    """
    kind = endpoint.kind_info
    builder = BUILDERS.get(kind.kind)
    if not kind.sendable or builder is None:
        raise TransportError(f"{kind.label} endpoints cannot send ({kind.status})", permanent=True)
    return builder(endpoint)


@dataclass(frozen=True)
class TestOutcome:
    """What the Test button shows: ``ok``, the HTTP ``status`` (None = no response)
    and a one-line ``message`` with the server's own error text. Never a secret.
    """

    __test__ = False  # not a pytest test class despite the name

    ok: bool
    status: int | None
    message: str

    def as_json(self) -> dict[str, object]:
        return {"ok": self.ok, "status": self.status, "message": self.message}


def send_test(endpoint: Endpoint) -> TestOutcome:
    """Send ``Hello from Axibase Time Series Database`` with ``endpoint``'s values (§7.1).

    Works for unsaved endpoints; any 2xx is success. The endpoint's enabled flag
    is ignored: testing a disabled endpoint before enabling it is the point.
    """
    secrets = endpoint.secret_values()
    try:
        transport = build_transport(endpoint)
        delivery = transport.send(TEST_TEXT, severity="NORMAL")
    except TransportError as exc:
        message = redact(exc.message, secrets)
        logger.info("test of endpoint %r failed: %s", endpoint.name, message)
        return TestOutcome(False, exc.status, message)
    logger.info("test of endpoint %r: HTTP %s", endpoint.name, delivery.status)
    where = endpoint.parameter("room")
    target = f" to room {where}" if where else ""
    return TestOutcome(True, delivery.status, f"HTTP {delivery.status}: test message sent{target}.")
