"""A rule's web-notification bindings (spec §2.3, §7.2): the Web Notifications tab.

Rules are referred to by name (string key), never by a foreign key into the rules
app. ``Rule.web_notifications_xml`` mirrors these rows as ``<webNotification>``
elements so rules.xml export and the engine's action settings need nothing from here.
"""

from __future__ import annotations

from typing import Any

from django.db import models

TRIGGERS = ("open", "repeat", "cancel")


def default_strategy() -> dict[str, Any]:
    return {"type": "ALL", "count": 5, "unit": "MINUTE"}


class RuleNotification(models.Model):
    rule_name = models.CharField(max_length=512, db_index=True)
    name = models.CharField(max_length=256)  # "Web Service Notification id=6"
    position = models.PositiveIntegerField(default=0)  # order inside the rule
    enabled = models.BooleanField(default=True)
    # The endpoint by name, as rules.xml has it; resolved when sending. An unknown
    # name leaves the binding unresolved (shown on the rule page, a Rule Error on fire).
    endpoint_name = models.CharField(max_length=256)
    use_in_threshold_only = models.BooleanField(default=False)
    open_delay_count = models.PositiveIntegerField(default=0)
    open_delay_unit = models.CharField(max_length=16, default="SECOND")
    repeat_strategy = models.JSONField(default=default_strategy)
    repeat_as_open = models.BooleanField(default=False)
    cancel_as_open = models.BooleanField(default=False)
    open_enabled = models.BooleanField(default=False)
    repeat_enabled = models.BooleanField(default=False)
    cancel_enabled = models.BooleanField(default=False)
    # Per trigger: {key: value} for the endpoint's editable parameters (templates).
    open_params = models.JSONField(default=dict, blank=True)
    repeat_params = models.JSONField(default=dict, blank=True)
    cancel_params = models.JSONField(default=dict, blank=True)
    open_details = models.BooleanField(default=False)
    repeat_details = models.BooleanField(default=False)
    cancel_details = models.BooleanField(default=False)
    details_format = models.CharField(max_length=16, default="ascii")
    open_screenshot = models.BooleanField(default=False)
    repeat_screenshot = models.BooleanField(default=False)
    cancel_screenshot = models.BooleanField(default=False)
    open_portal_ids = models.CharField(max_length=256, blank=True)
    repeat_portal_ids = models.CharField(max_length=256, blank=True)
    cancel_portal_ids = models.CharField(max_length=256, blank=True)
    # Storm digests: when the room's rate budget is spent and at least
    # ``digest_threshold`` messages wait for the endpoint, they fold into one digest
    # message (notifications.delivery.digest).
    digest_enabled = models.BooleanField(default=False)
    digest_threshold = models.PositiveIntegerField(default=10)
    # Elements of the <webNotification> we keep but do not model, re-exported as they are.
    raw_extra = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["rule_name", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["rule_name", "name"], name="binding_name_per_rule"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_name} / {self.name}"

    @property
    def action_name(self) -> str:
        """The engine's action name for this binding (see rules.partition.definitions)."""
        return f"web:{self.name}"
