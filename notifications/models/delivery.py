"""Deliveries: one row per (trigger event, binding), written before anything is sent.

Design invariants 2 and 3: a row exists before the request leaves; tasks claim rows
with a conditional update; each HTTP request is a ``DeliveryAttempt`` (the
Notification Log) written as SENDING before it leaves and given its outcome right
after the answer; for one window and one endpoint rows go out in ``sequence`` order.
"""

from __future__ import annotations

from django.db import models


class DeliveryStatus(models.TextChoices):
    PENDING = "PENDING"  # waiting for its turn or for a retry
    SENDING = "SENDING"  # claimed by a notify task
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"  # permanent error or retries exhausted
    CANCELLED = "CANCELLED"  # cancelAction(), empty text, disabled endpoint
    FOLDED = "FOLDED"  # sent as part of the digest ``folded_into``; its window waits for it


class AttemptStatus(models.TextChoices):
    """Status of one request in the Notification Log (spec §7.6 plus our own)."""

    SENDING = "SENDING"  # left (or leaving); no answer recorded yet
    OK = "OK"
    ERROR = "ERROR"  # failed for good
    RETRY = "RETRY"  # failed; the notification will be retried
    CANCELLED = "CANCELLED"  # cancelAction(), empty text
    UNKNOWN = "UNKNOWN"  # its answer was lost and the room could not be asked: sent again


class Channel(models.TextChoices):
    """How a delivery reaches people: a web-notification endpoint or email."""

    WEB = "web"
    EMAIL = "email"


class Delivery(models.Model):
    event_id = models.CharField(max_length=96)  # rules TriggerRecord.event_id
    # Which kind of binding ``binding_name`` names: a web notification or an email one.
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.WEB)
    rule_name = models.CharField(max_length=512, db_index=True)
    binding_name = models.CharField(max_length=256)
    endpoint_name = models.CharField(max_length=256)
    window_key = models.CharField(max_length=2048)
    entity = models.CharField(max_length=512, blank=True)
    trigger = models.CharField(max_length=8)  # OPEN / REPEAT / CANCEL
    repeat_count = models.IntegerField(default=0)
    # Order key: deliveries of one (rule, window, endpoint) go out oldest first.
    order_key = models.CharField(max_length=64, db_index=True)
    sequence = models.BigIntegerField()
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    # While SENDING: the notify worker process holding the claim (its heartbeat key
    # says it is alive) and when it last acted on it.
    claimed_by = models.CharField(max_length=128, blank=True, default="")
    claimed_at = models.DateTimeField(null=True)
    next_attempt_at = models.DateTimeField(null=True, db_index=True)
    deadline = models.DateTimeField()
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    finished = models.DateTimeField(null=True)
    last_error = models.TextField(blank=True)
    message_preview = models.TextField(blank=True)
    # The storm digest this delivery is sent in (notifications.delivery.digest); a
    # digest is itself a delivery, of trigger ``DIGEST``.
    folded_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="folded"
    )

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event_id", "channel", "binding_name"],
                name="one_delivery_per_event_binding",
            ),
        ]
        indexes = [
            models.Index(fields=["order_key", "status", "sequence"]),
            models.Index(fields=["status", "next_attempt_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.trigger} {self.rule_name} → {self.endpoint_name} ({self.status})"


class DeliveryAttempt(models.Model):
    """One outgoing request: the Notification Log (spec §7.6)."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="log")
    time = models.DateTimeField(db_index=True)
    attempt = models.PositiveIntegerField()
    request = models.CharField(max_length=32)  # notification / file / message
    endpoint_kind = models.CharField(max_length=32)
    response_code = models.IntegerField(default=0)  # 0 = no connection
    status = models.CharField(max_length=16, choices=AttemptStatus.choices)
    latency_ms = models.FloatField(null=True)
    error = models.TextField(blank=True)  # the server's error text, never a token
    response_text = models.TextField(blank=True)
    # The service's id of the message this request posted, when it gives one.
    message_id = models.CharField(max_length=64, blank=True)
    # Digest of what the request leaves in the room (transports.base.Footprint): how a
    # request whose answer was lost is looked for in the room's history.
    fingerprint = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-time", "-id"]

    def __str__(self) -> str:
        return f"{self.time:%Y-%m-%d %H:%M:%S} {self.status} {self.response_code}"
