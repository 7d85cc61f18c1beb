"""Derived commands (spec §2.2): a trigger renders the rule's ``derivedCommand`` template
and the result goes back into ingest as if received.

The engine renders at trigger time, in the window's scope (fields, statistics,
variables), when the ``derived`` action fires: OPEN, and REPEAT as
``derivedCommandStrategy`` allows **[decision: the XML has no per-status switches;
CANCEL sends none]**. Each line of the result is one command. Events made from derived
commands carry their depth (hops from an outside command); a trigger caused by an event
already ``DERIVED_DEPTH_LIMIT`` hops deep sends nothing and is a rule error instead, so a
rule that feeds itself stops instead of running forever.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rules.contract.triggers import DERIVED_ACTION, TriggerSnapshot
from rules.expressions.formatting import command_tags
from rules.expressions.legacy_times import format_server_time, format_utc_datetime
from rules.expressions.templates import render_placeholders

DERIVED_DEPTH_LIMIT = 4
# The Celery task (in rules.ingest.tasks) that ingests derived commands: (rule, lines, depth).
INGEST_DERIVED_TASK = "rules.ingest_derived"


def derived_commands(
    snapshot: TriggerSnapshot, template: str, scope: Any, depth: int
) -> tuple[list[str], list[str]]:
    """(command lines, errors) for ``snapshot`` when its derived action fires, else
    nothing. ``depth``: that of the event that caused the trigger."""
    if DERIVED_ACTION not in snapshot.fired():
        return [], []
    if depth >= DERIVED_DEPTH_LIMIT:
        return [], [
            f"derived command not sent: the trigger came from a command {depth} derived-command "
            f"hops deep (limit {DERIVED_DEPTH_LIMIT}); a rule feeding itself or another in a loop"
        ]
    text, errors = render_placeholders(template, TriggerFields(snapshot, scope))
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines, errors


# The legacy time placeholders (spec §5.2) and the trigger time each shows.
_LEGACY_TIMES: dict[str, Callable[[TriggerSnapshot], int | None]] = {
    "received": lambda t: t.received_time,
    "event": lambda t: t.command_time,
    "alert_open": lambda t: t.open_time,
    "window_first": lambda t: t.command_first_time,
}

# Placeholder-only fields (spec §4.4: not in conditions) a rule-side template may use.
_TRIGGER_FIELDS: dict[str, Callable[[TriggerSnapshot], Any]] = {
    "status": lambda t: t.status,
    "alert_type": lambda t: t.status,
    "before_status": lambda t: t.before_status,
    "severity": lambda t: t.severity.lower(),
    "repeat_count": lambda t: t.repeat_count,
    "threshold": lambda t: t.threshold,
    "condition": lambda t: t.expression,
    "expression": lambda t: t.expression,
    "rule_expression": lambda t: t.expression,
    "rule_filter": lambda t: t.rule_filter,
    "window": lambda t: t.window,
    "commandTags": lambda t: command_tags(t.tags),
    "timestamp": lambda t: t.command_time,
}


class TriggerFields:
    """The window's scope plus the trigger's own fields, for rendering a derived command
    or a Logging-tab text."""

    def __init__(self, snapshot: TriggerSnapshot, scope: Any) -> None:
        self.snapshot = snapshot
        self.scope = scope
        self.now_ms = scope.now_ms
        self.zone = scope.zone
        self.window = scope.window

    def lookup(self, name: str) -> Any:
        field = _TRIGGER_FIELDS.get(name)
        if field is not None:
            return field(self.snapshot)
        stem, _, form = name.rpartition("_")
        at = _LEGACY_TIMES.get(stem)
        if at is not None and form == "time":
            return format_server_time(at(self.snapshot), self.zone)
        if at is not None and form == "datetime":
            return format_utc_datetime(at(self.snapshot))
        return self.scope.lookup(name)

    def line_value(self, metric: str) -> float | None:
        return self.scope.line_value(metric)

    def rule_open(self, rule: str, entity: str | None, expression: str | None) -> bool:
        return self.scope.rule_open(rule, entity, expression)
