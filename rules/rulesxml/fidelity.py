"""The import's fidelity report of one rule: everything it carries that this server
stores but does not run, and why (spec §2.1: a rule imported from ATSD behaves as it
did there, or says exactly why not).

Every note that describes something not run contains ``NOT_RUN`` ("not run"), so a
reader (and the corpus test) can tell them from informational notes. Executed SQL and
scripts get one line per rule each.
"""

from __future__ import annotations

from lxml import etree

from rules.contract.bindings import TRIGGERS
from rules.expressions.functions.not_run import NOT_RUN as NOT_RUN_FUNCTIONS
from rules.rulesxml.date_filter import read_date_filter
from rules.rulesxml.spec import RuleSpec
from rules.rulesxml.validation import check_template
from rules.rulesxml.web_notifications import read_web_notification

NOT_RUN = "not run"

# (element, RuleSpec field) of the rule's own templates (the Logging tab, derived commands).
_RULE_TEMPLATES = (
    ("alertOpenMessage", "alert_open_message"),
    ("alertMessage", "alert_message"),
    ("alertCancellationMessage", "alert_cancellation_message"),
    ("derivedCommand", "derived_command"),
)


def unknown_functions_note(where: str, functions: tuple[str, ...] | list[str]) -> str:
    """``<expression>: not run: unknown functions db_last at line 1, column 1``."""
    return f"{where}: {NOT_RUN}: unknown functions {', '.join(functions)}"


def fidelity_notes(
    rule: RuleSpec,
    known: dict[str, list[etree._Element]],
    unknown_tags: list[str],
    not_run_functions: set[str],
) -> list[str]:
    """Notes about what the rule stores but does not run, after those about its
    expressions. ``not_run_functions``: functions registered as not run that its
    expressions call (templates are scanned here)."""
    notes: list[str] = []
    called = set(not_run_functions)
    for where, text in _templates(rule, known):
        check = check_template(text)
        if check.unsupported:
            notes.append(unknown_functions_note(where, check.unsupported))
        notes.extend(f"{where}: {error}" for error in check.errors)
        called.update(check.not_run)
    notes.extend(f"{name}: {NOT_RUN} ({NOT_RUN_FUNCTIONS[name]})" for name in sorted(called))
    if (
        rule.alert_open_script_enabled
        or rule.script_enabled
        or rule.alert_cancellation_script_enabled
    ):
        notes.append(f"scripts: {NOT_RUN} (scripts are not executed on this server); stored")
    try:
        read_date_filter(rule.date_filter_xml)
    except ValueError as exc:
        notes.append(f"dateFilter: {NOT_RUN} ({exc}); the rule is active at all times")
    if rule.log_output:
        notes.append(f"logOutput: {NOT_RUN} (an undocumented legacy switch); stored")
    notes.extend(
        f"unknown element <{tag}>: {NOT_RUN}; kept and re-exported unchanged"
        for tag in unknown_tags
    )
    return notes


def _templates(rule: RuleSpec, known: dict[str, list[etree._Element]]) -> list[tuple[str, str]]:
    """(where, text) of every template the rule carries: its Logging texts and derived
    command, its web notifications' parameters and its e-mails' subjects and bodies."""
    found = [(f"<{xml}>", getattr(rule, field)) for xml, field in _RULE_TEMPLATES]
    for position, element in enumerate(known.get("webNotification", [])):
        spec = read_web_notification(element, index=position)  # read: the import checked it
        for trigger in TRIGGERS:
            for key, value in spec.trigger(trigger).parameters.items():
                found.append((f"webNotification {spec.name!r} {trigger} {key}", value))
    for element in known.get("emailNotification", []):
        label = _child_text(element, "name") or "(unnamed)"
        for child in element:
            tag = child.tag if isinstance(child.tag, str) else ""
            if tag.startswith(("subject", "body")):
                found.append((f"emailNotification {label!r} {tag}", child.text or ""))
    return [(where, text) for where, text in found if "{" in text]


def _child_text(element: etree._Element, tag: str) -> str:
    found = element.find(tag)
    return (found.text or "").strip() if found is not None else ""
