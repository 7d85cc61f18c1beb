"""Alert rules: one row per ATSD ``<rule>`` (spec §2.2).

The model is flat on purpose: every ``rules.xml`` element has one field (or one
small JSON value for the strategy blocks), so import, export and the editor all
map element ↔ field one to one. Elements we only STORE (email notifications,
``dateFilter``, override rows, unknown elements) are kept as raw XML text and
re-exported unchanged; web notification bindings are kept raw too until the
notifications app maps them onto its own model.
"""

from __future__ import annotations

from typing import Any

from django.db import models

# ATSD's default Logging-tab text (spec §2.2): tab-separated fields.
DEFAULT_ALERT_MESSAGE = "\t".join(
    [
        "${received_datetime}",
        "${status}",
        "${severity}",
        "${rule}",
        "${metric}",
        "${entity}",
        "${tags}",
        "${value}",
    ]
)


def default_strategy() -> dict[str, Any]:
    """Repeat strategy of an untouched rule: every REPEAT.

    The count and unit are what ATSD writes for ``ALL`` in every public export
    (they are ignored for ``ALL`` but round-trip).
    """
    return {"type": "ALL", "count": 5, "unit": "MINUTE"}


class TagsGroupingStrategy(models.TextChoices):
    ALL_TAGS = "ALL_TAGS"
    DEFINED_TAGS = "DEFINED_TAGS"
    NO_TAGS = "NO_TAGS"


class Severity(models.TextChoices):
    UNDEFINED = "UNDEFINED"
    UNKNOWN = "UNKNOWN"
    NORMAL = "NORMAL"
    WARNING = "WARNING"
    MINOR = "MINOR"
    MAJOR = "MAJOR"
    CRITICAL = "CRITICAL"
    FATAL = "FATAL"


class Rule(models.Model):
    """An alert rule. ``name`` is its identity: import replaces by name.

    Strategy fields (``alert_strategy``, ``action_strategy``,
    ``derived_command_strategy``) hold ``{"type": ALL|COUNT|INTERVAL|NONE,
    "count": int, "unit": MILLISECOND…YEAR}``. ``user_expressions`` holds
    ``[{"name": str, "expression": str}, …]`` in declaration order. The ``*_xml``
    fields and ``raw_extra`` hold serialized XML elements, re-exported as they are.
    """

    # --- identity and bookkeeping (S except name/enabled) ---------------------
    name = models.CharField(max_length=512, unique=True)
    enabled = models.BooleanField(default=True)
    description = models.TextField(blank=True)
    owner = models.CharField(max_length=512, blank=True)
    # Unix ms of the last save in ATSD; None when the file had no <lastUpdated>.
    last_updated = models.BigIntegerField(null=True, blank=True)

    # --- data selection -------------------------------------------------------
    # A metric name, or the literals "message" / "property" (selects the data type).
    metric = models.CharField(max_length=512)
    type = models.CharField(max_length=512, blank=True)
    source = models.CharField(max_length=512, blank=True)
    entity_filter = models.TextField(blank=True)  # space-separated names/patterns (* ?)
    group_filter = models.CharField(max_length=512, blank=True)
    filter = models.TextField(blank=True)
    time_filter_count = models.IntegerField(default=0)
    time_filter_unit = models.CharField(max_length=16, default="SECOND")
    discard_previous_values = models.BooleanField(default=False)

    # --- grouping and window --------------------------------------------------
    tags = models.JSONField(default=list, blank=True)  # grouping tag names, trimmed
    tags_grouping_strategy = models.CharField(
        max_length=16, choices=TagsGroupingStrategy.choices, default=TagsGroupingStrategy.ALL_TAGS
    )
    disable_entity_grouping = models.BooleanField(default=False)
    window = models.CharField(max_length=64)  # "length(3)" or "time(15 minute)", as in XML
    leaving_events = models.BooleanField(default=False)  # "Check On Exit"
    load_history = models.BooleanField(default=False)

    # --- condition ------------------------------------------------------------
    expression = models.TextField()
    user_expressions = models.JSONField(default=list, blank=True)
    severity = models.CharField(max_length=16, choices=Severity.choices, default=Severity.WARNING)
    instant_action = models.BooleanField(default=False)

    # --- logging tab ----------------------------------------------------------
    # Tri-state on purpose: an absent element (pre-2018 files) means OPEN and
    # CANCEL are always recorded, which differs from an explicit false (spec §2.2).
    log_to_alert_history = models.BooleanField(null=True, blank=True, default=None)
    alert_logger_name = models.CharField(max_length=256, blank=True)
    log_output = models.BooleanField(default=False)
    alert_open_message = models.TextField(blank=True, default=DEFAULT_ALERT_MESSAGE)
    alert_message = models.TextField(blank=True, default=DEFAULT_ALERT_MESSAGE)
    alert_cancellation_message = models.TextField(blank=True, default=DEFAULT_ALERT_MESSAGE)
    alert_open_message_enabled = models.BooleanField(default=False)
    alert_message_enabled = models.BooleanField(default=False)
    alert_cancellation_message_enabled = models.BooleanField(default=False)
    alert_message_as_open = models.BooleanField(default=False)
    alert_cancellation_message_as_open = models.BooleanField(default=False)
    alert_strategy = models.JSONField(default=default_strategy)

    # --- scripts (STORE) and derived commands ---------------------------------
    alert_open_script_enabled = models.BooleanField(default=False)
    script_enabled = models.BooleanField(default=False)
    alert_cancellation_script_enabled = models.BooleanField(default=False)
    script_as_open = models.BooleanField(default=False)
    alert_cancellation_script_as_open = models.BooleanField(default=False)
    action_strategy = models.JSONField(default=default_strategy)
    derived_command = models.TextField(blank=True)
    derived_command_enabled = models.BooleanField(default=False)
    derived_command_strategy = models.JSONField(default=default_strategy)

    # --- flap damping (ours; rules.xml <flapDamping>, rules.engine.flapping) ----
    # More than flap_changes OPEN→CANCEL within the period: one "flapping" message
    # instead of each change, one more when stable for the period.
    flap_damping = models.BooleanField(default=False)
    flap_changes = models.PositiveIntegerField(default=5)
    flap_period_count = models.PositiveIntegerField(default=10)
    flap_period_unit = models.CharField(max_length=16, default="MINUTE")

    # --- raw XML kept for re-export -------------------------------------------
    date_filter_xml = models.TextField(blank=True)  # "" = absent ("always")
    rule_table_xml = models.TextField(blank=True)  # "" = no override rows (<ruleTable/>)
    email_notifications_xml = models.JSONField(default=list, blank=True)
    web_notifications_xml = models.JSONField(default=list, blank=True)
    raw_extra = models.JSONField(default=list, blank=True)  # unknown elements, in order
    # Text elements the file had empty (<owner/>): written back empty, not left out.
    empty_elements = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def data_type(self) -> str:
        """``message``, ``property`` or ``series``: the events this rule receives."""
        lowered = self.metric.lower()
        return lowered if lowered in ("message", "property") else "series"
