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

from typing import Any

from rules.contract.triggers import DERIVED_ACTION, TriggerSnapshot
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
    text, errors = render_placeholders(template, scope)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines, errors
