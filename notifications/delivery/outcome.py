"""What one attempt at a delivery came to: what each stage of the pipeline returns
when it ends the attempt, and what the record stage stores."""

from __future__ import annotations

from dataclasses import dataclass, field

from notifications.models import DeliveryAttempt, DeliveryStatus

RETRY = "RETRY"  # outcome only: the row goes back to PENDING


@dataclass
class SendOutcome:
    """What happened to one delivery attempt.

    ``status``: a final ``DeliveryStatus`` or :data:`RETRY`. ``retry_after_s``: the
    server's rate-limit reset for a 429, or how long to wait before asking whether
    a request arrived. ``held``: the rate budget held the request back (nothing
    left), which may fold the delivery into a storm digest. ``failed_attempt``: the
    log row of the request that failed, so the worker can mark it ERROR when it
    gives up. ``failure`` False: a wait
    that is nobody's failure, which grows no back-off.
    """

    status: str
    error: str = ""
    retry_after_s: float | None = None
    failed_attempt: DeliveryAttempt | None = None
    preview: str = ""
    rule_errors: list[str] = field(default_factory=list)
    failure: bool = True
    held: bool = False


def cancelled(reason: str, preview: str = "", rule_errors: list[str] | None = None) -> SendOutcome:
    """A delivery that is not sent, on purpose (disabled, ``cancelAction()``, empty text)."""
    return SendOutcome(
        DeliveryStatus.CANCELLED, error=reason, preview=preview, rule_errors=rule_errors or []
    )
