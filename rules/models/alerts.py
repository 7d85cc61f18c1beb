"""What the running engine writes: open alerts, alert history, trigger events, rule errors."""

from django.db import models

from rules.contract.triggers import (
    FLAP_ENDED,
    FLAP_ONGOING,
    FLAP_STARTED,
    TriggerSnapshot,
    decode_trigger,
)

FLAP_LABELS = {FLAP_STARTED: "flapping", FLAP_ONGOING: "flapping, not sent", FLAP_ENDED: "stable"}


class Alert(models.Model):
    """An open alert: created at OPEN, updated at REPEAT, deleted at CANCEL (spec §8)."""

    rule = models.CharField(max_length=512, db_index=True)
    window_key = models.CharField(max_length=2048)
    partition = models.PositiveIntegerField(default=0)
    entity = models.CharField(max_length=512, db_index=True)
    metric = models.CharField(max_length=512)
    tags = models.JSONField(default=dict, blank=True)
    severity = models.CharField(max_length=16)
    acknowledged = models.BooleanField(default=False)
    repeat_count = models.IntegerField(default=0)
    value = models.FloatField(null=True)
    open_value = models.FloatField(null=True)
    text_value = models.TextField(blank=True)
    message = models.TextField(blank=True)
    open_date = models.DateTimeField()
    last_event_date = models.DateTimeField()
    episode = models.BigIntegerField()  # open_time of the window, in ms
    window = models.CharField(max_length=64, blank=True)
    expression = models.TextField(blank=True)
    rule_filter = models.TextField(blank=True)
    # The latest trigger snapshot (window fields, statistics, variables) for details views.
    snapshot = models.JSONField(default=dict, blank=True)
    # The window is flapping (rules.engine.flapping): its messages are held back.
    flapping = models.BooleanField(default=False)

    class Meta:
        ordering = ["-open_date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "window_key"], name="one_alert_per_window"),
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.window_key}"

    @property
    def tags_text(self) -> str:
        return ";".join(f"{k}={v}" for k, v in sorted(self.tags.items()))


class AlertHistory(models.Model):
    """One record per logged OPEN / REPEAT / CANCEL (spec §8 "Alert history")."""

    event_id = models.CharField(max_length=96, unique=True)
    date = models.DateTimeField(db_index=True)
    entity = models.CharField(max_length=512, db_index=True)
    metric = models.CharField(max_length=512, db_index=True)
    tags = models.TextField(blank=True)  # k=v;k=v
    type = models.CharField(max_length=8)
    value = models.FloatField(null=True)
    alert = models.TextField(blank=True)
    severity = models.CharField(max_length=16)
    rule = models.CharField(max_length=512, db_index=True)
    rule_expression = models.TextField(blank=True)
    rule_filter = models.TextField(blank=True)
    window = models.CharField(max_length=64, blank=True)
    repeat_count = models.IntegerField(default=0)
    alert_duration = models.BigIntegerField(default=0)  # ms since open
    alert_open_date = models.DateTimeField(null=True)
    received_date = models.DateTimeField(null=True)
    # Flap damping marking of the trigger (``FLAP_*`` of rules.contract.triggers).
    flapping = models.CharField(max_length=8, blank=True, default="")

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name_plural = "alert history"

    def __str__(self) -> str:
        return f"{self.type} {self.rule} {self.entity}"

    @property
    def flapping_label(self) -> str:
        """How history shows the flap marking: the start, the quiet changes, the end."""
        return FLAP_LABELS.get(self.flapping, "")


class TriggerRecord(models.Model):
    """Every trigger event the engine produced, kept for notifications and audits.

    ``event_id`` is deterministic (partition, batch, position), so a batch replayed
    after a crash writes nothing twice. Notifications refer to it by this id.
    """

    event_id = models.CharField(max_length=96, unique=True)
    rule = models.CharField(max_length=512, db_index=True)
    window_key = models.CharField(max_length=2048)
    status = models.CharField(max_length=8)
    reason = models.CharField(max_length=16)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    data = models.JSONField()

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.event_id} {self.status} {self.rule}"

    def snapshot(self) -> TriggerSnapshot:
        """The trigger as the engine made it (``data`` holds its encoded form)."""
        return decode_trigger(self.data)


class RuleErrorRecord(models.Model):
    """A failed evaluation or placeholder (Rule Errors page), bounded to the newest ones."""

    time = models.DateTimeField(db_index=True)
    rule = models.CharField(max_length=512, db_index=True)
    error = models.TextField()
    expression = models.TextField(blank=True)
    command = models.TextField(blank=True)
    window_key = models.CharField(max_length=2048, blank=True)

    class Meta:
        ordering = ["-time", "-id"]

    def __str__(self) -> str:
        return f"{self.rule}: {self.error[:60]}"


class AckLinkUse(models.Model):
    """One opening of an acknowledge link from a notification: who (address, user agent,
    the user when logged in), when, which alert episode and what came of it."""

    class Outcome(models.TextChoices):
        VIEWED = "VIEWED"  # the confirmation page was shown
        ACKNOWLEDGED = "ACKNOWLEDGED"
        ALREADY = "ALREADY"  # it was acknowledged before
        CLOSED = "CLOSED"  # the episode's alert is no longer open
        EXPIRED = "EXPIRED"
        INVALID = "INVALID"  # altered or not ours

    time = models.DateTimeField(auto_now_add=True, db_index=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    method = models.CharField(max_length=8)
    rule = models.CharField(max_length=512, blank=True, db_index=True)
    window_key = models.CharField(max_length=2048, blank=True)
    episode = models.BigIntegerField(null=True)
    address = models.CharField(max_length=64, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    username = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-time", "-id"]

    def __str__(self) -> str:
        return f"{self.outcome} {self.rule} {self.address}"
