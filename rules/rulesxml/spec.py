"""``RuleSpec``: one ``<rule>`` as plain data, the hand-over between XML and the model.

Its fields are exactly the ``Rule`` model's fields (a test keeps them in step),
so the reader, the writer and the importer never touch XML and the ORM at once.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, fields
from typing import Any

from rules.models.rule import DEFAULT_ALERT_MESSAGE, Rule, default_strategy


@dataclass
class RuleSpec:
    """Model values of one rule, with the §2.2 defaults for absent elements.

    ``fidelity`` is not a model value: it lists what the import could not honour
    or only stores (unsupported functions, STORE-only elements, unknown elements).
    """

    name: str
    metric: str
    window: str
    expression: str
    enabled: bool = True
    description: str = ""
    owner: str = ""
    last_updated: int | None = None
    type: str = ""
    source: str = ""
    entity_filter: str = ""
    group_filter: str = ""
    filter: str = ""
    time_filter_count: int = 0
    time_filter_unit: str = "SECOND"
    discard_previous_values: bool = False
    tags: list[str] = field(default_factory=list)
    tags_grouping_strategy: str = "ALL_TAGS"
    disable_entity_grouping: bool = False
    leaving_events: bool = False
    load_history: bool = False
    user_expressions: list[dict[str, str]] = field(default_factory=list)
    severity: str = "WARNING"
    instant_action: bool = False
    log_to_alert_history: bool | None = None
    alert_logger_name: str = ""
    log_output: bool = False
    alert_open_message: str = DEFAULT_ALERT_MESSAGE
    alert_message: str = DEFAULT_ALERT_MESSAGE
    alert_cancellation_message: str = DEFAULT_ALERT_MESSAGE
    alert_open_message_enabled: bool = False
    alert_message_enabled: bool = False
    alert_cancellation_message_enabled: bool = False
    alert_message_as_open: bool = False
    alert_cancellation_message_as_open: bool = False
    alert_strategy: dict[str, Any] = field(default_factory=default_strategy)
    alert_open_script_enabled: bool = False
    script_enabled: bool = False
    alert_cancellation_script_enabled: bool = False
    script_as_open: bool = False
    alert_cancellation_script_as_open: bool = False
    action_strategy: dict[str, Any] = field(default_factory=default_strategy)
    derived_command: str = ""
    derived_command_enabled: bool = False
    derived_command_strategy: dict[str, Any] = field(default_factory=default_strategy)
    flap_damping: bool = False
    flap_changes: int = 5
    flap_period_count: int = 10
    flap_period_unit: str = "MINUTE"
    date_filter_xml: str = ""
    rule_table_xml: str = ""
    email_notifications_xml: list[str] = field(default_factory=list)
    web_notifications_xml: list[str] = field(default_factory=list)
    raw_extra: list[str] = field(default_factory=list)
    empty_elements: list[str] = field(default_factory=list)
    fidelity: list[str] = field(default_factory=list, compare=False)

    @classmethod
    def model_field_names(cls) -> list[str]:
        """Names of the fields that are ``Rule`` model fields (all but ``fidelity``)."""
        return [f.name for f in fields(cls) if f.name != "fidelity"]

    def model_values(self) -> dict[str, Any]:
        """The values to set on a ``Rule`` (deep copies: JSON fields must not alias)."""
        return {name: copy.deepcopy(getattr(self, name)) for name in self.model_field_names()}

    @classmethod
    def from_model(cls, rule: Rule) -> RuleSpec:
        """The spec of a saved or unsaved ``Rule`` (what the writer exports)."""
        return cls(**{name: copy.deepcopy(getattr(rule, name)) for name in cls.model_field_names()})
