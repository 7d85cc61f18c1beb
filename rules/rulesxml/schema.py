"""The ``<rule>`` children of spec §2.2, in export order, with their field and kind.

Reader and writer both walk this table, so an element added here is read and
written the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    TEXT = "text"  # one-line value, trimmed on import
    LONG = "long"  # free text (expressions, templates), kept as is except CRLF → LF
    BOOL = "bool"
    TRISTATE = "tristate"  # bool where "absent" is a third value
    INT_OPT = "int_opt"  # integer or absent (None)
    WINDOW = "window"
    SEVERITY = "severity"
    GROUPING = "grouping"  # tagsGroupingStrategy
    TAGS = "tags"
    # Repeatable: ATSD exports one <entityFilter> per pattern; stored space-separated.
    ENTITY_FILTER = "entity_filter"
    TIME_FILTER = "time_filter"
    STRATEGY = "strategy"
    USER_EXPRESSIONS = "user_expressions"
    RULE_TABLE = "rule_table"
    RAW = "raw"  # one element kept as raw XML
    RAW_LIST = "raw_list"  # repeated element kept as raw XML, in order
    # Ours, not ATSD's: <flapDamping> with enabled, changes, intervalCount, intervalUnit
    # (rules.rulesxml.flap_damping); written only when set, so untouched rules export
    # exactly as ATSD writes them.
    FLAP_DAMPING = "flap_damping"


@dataclass(frozen=True)
class Element:
    xml: str
    field: str
    kind: Kind
    cdata: bool = False  # write as CDATA (expression-like text)
    required: bool = False
    # Written even when empty: its default differs from "" (logging templates).
    always: bool = False


ELEMENTS: tuple[Element, ...] = (
    Element("name", "name", Kind.TEXT, required=True),
    Element("enabled", "enabled", Kind.BOOL),
    Element("description", "description", Kind.LONG, cdata=True),
    Element("owner", "owner", Kind.TEXT),
    Element("lastUpdated", "last_updated", Kind.INT_OPT),
    Element("metric", "metric", Kind.TEXT, required=True),
    Element("type", "type", Kind.TEXT),
    Element("source", "source", Kind.TEXT),
    Element("tags", "tags", Kind.TAGS),
    Element("tagsGroupingStrategy", "tags_grouping_strategy", Kind.GROUPING),
    Element("disableEntityGrouping", "disable_entity_grouping", Kind.BOOL),
    Element("window", "window", Kind.WINDOW, required=True),
    Element("leavingEvents", "leaving_events", Kind.BOOL),
    Element("loadHistory", "load_history", Kind.BOOL),
    Element("expression", "expression", Kind.LONG, cdata=True, required=True),
    Element("filter", "filter", Kind.LONG, cdata=True),
    Element("entityFilter", "entity_filter", Kind.ENTITY_FILTER),
    Element("groupFilter", "group_filter", Kind.TEXT),
    Element("timeFilter", "time_filter_count", Kind.TIME_FILTER),
    Element("discardPreviousValues", "discard_previous_values", Kind.BOOL),
    Element("dateFilter", "date_filter_xml", Kind.RAW),
    Element("severity", "severity", Kind.SEVERITY),
    Element("userExpressions", "user_expressions", Kind.USER_EXPRESSIONS),
    Element("instantAction", "instant_action", Kind.BOOL),
    Element("ruleTable", "rule_table_xml", Kind.RULE_TABLE),
    Element("logToAlertHistory", "log_to_alert_history", Kind.TRISTATE),
    Element("alertLoggerName", "alert_logger_name", Kind.TEXT),
    Element("logOutput", "log_output", Kind.BOOL),
    Element("alertOpenMessage", "alert_open_message", Kind.LONG, cdata=True, always=True),
    Element("alertMessage", "alert_message", Kind.LONG, cdata=True, always=True),
    Element(
        "alertCancellationMessage",
        "alert_cancellation_message",
        Kind.LONG,
        cdata=True,
        always=True,
    ),
    Element("alertOpenMessageEnabled", "alert_open_message_enabled", Kind.BOOL),
    Element("alertMessageEnabled", "alert_message_enabled", Kind.BOOL),
    Element("alertCancellationMessageEnabled", "alert_cancellation_message_enabled", Kind.BOOL),
    Element("alertMessageAsOpen", "alert_message_as_open", Kind.BOOL),
    Element("alertCancellationMessageAsOpen", "alert_cancellation_message_as_open", Kind.BOOL),
    Element("alertStrategy", "alert_strategy", Kind.STRATEGY),
    Element("alertOpenScriptEnabled", "alert_open_script_enabled", Kind.BOOL),
    Element("scriptEnabled", "script_enabled", Kind.BOOL),
    Element("alertCancellationScriptEnabled", "alert_cancellation_script_enabled", Kind.BOOL),
    Element("scriptAsOpen", "script_as_open", Kind.BOOL),
    Element("alertCancellationScriptAsOpen", "alert_cancellation_script_as_open", Kind.BOOL),
    Element("actionStrategy", "action_strategy", Kind.STRATEGY),
    Element("derivedCommand", "derived_command", Kind.LONG),
    Element("derivedCommandEnabled", "derived_command_enabled", Kind.BOOL),
    Element("derivedCommandStrategy", "derived_command_strategy", Kind.STRATEGY),
    Element("emailNotification", "email_notifications_xml", Kind.RAW_LIST),
    Element("webNotification", "web_notifications_xml", Kind.RAW_LIST),
    Element("flapDamping", "flap_damping", Kind.FLAP_DAMPING),
)

BY_XML: dict[str, Element] = {e.xml: e for e in ELEMENTS}

# Model field → element, to name the element when model validation rejects a value.
# timeFilter owns two fields.
XML_BY_FIELD: dict[str, str] = {e.field: e.xml for e in ELEMENTS} | {
    "time_filter_unit": "timeFilter",
    "flap_changes": "flapDamping",
    "flap_period_count": "flapDamping",
    "flap_period_unit": "flapDamping",
    "raw_extra": "rule",
    "empty_elements": "rule",
}
