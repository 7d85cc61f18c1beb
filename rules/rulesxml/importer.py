"""Import of a rules.xml upload: all rules or none, in one database transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db import transaction

from rules.models import EntityGroup
from rules.models.rule import Rule
from rules.rulesxml.errors import ImportFailure, RulesImportError
from rules.rulesxml.overrides import read_rule_table
from rules.rulesxml.reader import read_rules
from rules.rulesxml.schema import XML_BY_FIELD
from rules.rulesxml.spec import RuleSpec

logger = logging.getLogger(__name__)

Outcome = Literal["created", "replaced", "failed"]


@dataclass
class RuleResult:
    """What happened to one rule of the file (or would have, had the import succeeded)."""

    name: str  # rule name, or "#index" when the rule has no usable name
    outcome: Outcome
    fidelity: list[str] = field(default_factory=list)
    failures: list[ImportFailure] = field(default_factory=list)


@dataclass
class ImportReport:
    """Result of ``import_rules``.

    ``saved`` is True only when every rule was valid and all were written.
    When False, nothing was written: ``failures`` names each failing rule and
    element, and ``rules`` holds the failing rules with outcome "failed".
    """

    saved: bool
    rules: list[RuleResult] = field(default_factory=list)
    failures: list[ImportFailure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # about the import as a whole

    @property
    def created(self) -> list[str]:
        return [r.name for r in self.rules if r.outcome == "created"]

    @property
    def replaced(self) -> list[str]:
        return [r.name for r in self.rules if r.outcome == "replaced"]

    @property
    def failed(self) -> list[str]:
        return [r.name for r in self.rules if r.outcome == "failed"]


def import_rules(data: bytes, *, auto_enable: bool, user: Any = None) -> ImportReport:
    """Import every rule of a rules.xml document, replacing rules of the same name.

    All or nothing: the document is parsed and validated first; if any rule is
    invalid (or the document is unsafe, oversize, not XML, or not ``<rules>``)
    nothing is written and the report lists the failures. Otherwise all rules
    are created or replaced (the whole rule, keeping its database id) in one
    transaction. ``auto_enable`` ("Auto-enable New Rules") sets ``enabled=True``
    on every imported rule. ``user`` is only recorded in the log.

    Never raises for bad input; database errors propagate (and roll back).
    """
    notes: list[str] = []
    try:
        specs = read_rules(data)
    except RulesImportError as exc:
        return _failed_report(exc.failures, notes)

    if not specs:
        notes.append("the document holds no <rule> elements; nothing was imported")

    results: list[RuleResult] = []
    failures: list[ImportFailure] = []
    with transaction.atomic():
        existing = {
            r.name: r
            for r in Rule.objects.select_for_update().filter(name__in=[s.name for s in specs])
        }
        prepared: list[tuple[Rule, RuleSpec]] = []
        for spec in specs:
            if auto_enable:
                spec.enabled = True
            rule = existing.get(spec.name) or Rule()
            outcome: Outcome = "replaced" if rule.pk else "created"
            for name, value in spec.model_values().items():
                setattr(rule, name, value)
            rule_failures = _validate(rule, spec.name)
            failures.extend(rule_failures)
            results.append(
                RuleResult(
                    spec.name,
                    "failed" if rule_failures else outcome,
                    fidelity=list(spec.fidelity) + _missing_group_notes(spec),
                    failures=rule_failures,
                )
            )
            prepared.append((rule, spec))
        if failures:
            return _failed_report(failures, notes)
        for rule, spec in prepared:
            try:
                with transaction.atomic():
                    rule.save()
            except ValueError as exc:
                # Whatever listens to rule saves may refuse what the reader let through
                # (an unreadable <webNotification> child): a report, never a 500.
                element = getattr(exc, "element", None)
                where = f"webNotification/{element}" if element else "rule"
                failures.append(ImportFailure(spec.name, where, str(exc)))
        if failures:
            transaction.set_rollback(True)
            return _failed_report(failures, notes)

    logger.info(
        "rules.xml imported by %s: %d created, %d replaced",
        getattr(user, "username", None) or "system",
        sum(r.outcome == "created" for r in results),
        sum(r.outcome == "replaced" for r in results),
    )
    return ImportReport(saved=True, rules=results, notes=notes)


def _missing_group_notes(spec: RuleSpec) -> list[str]:
    """Entity groups the rule names that do not exist (yet): they match no entity."""
    named = [("groupFilter", spec.group_filter)] if spec.group_filter else []
    named += [
        (f"ruleTable row {number}", row.entity_group)
        for number, row in enumerate(read_rule_table(spec.rule_table_xml), 1)
        if row.entity_group
    ]
    if not named:
        return []
    known = {name.lower() for name in EntityGroup.objects.values_list("name", flat=True)}
    return [
        f"{where}: entity group {group!r} does not exist; it matches no entity until created"
        for where, group in named
        if group.lower() not in known
    ]


def _validate(rule: Rule, name: str) -> list[ImportFailure]:
    # Model validation catches what the XML reader does not check (field lengths).
    # Uniqueness is by construction: existing rules are replaced, duplicates in the
    # file were rejected by the reader.
    try:
        rule.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        return [
            ImportFailure(name, XML_BY_FIELD.get(field_name), message)
            for field_name, messages in exc.message_dict.items()
            for message in messages
        ]
    return []


def _failed_report(failures: list[ImportFailure], notes: list[str]) -> ImportReport:
    by_rule: dict[str, list[ImportFailure]] = {}
    for failure in failures:
        if failure.rule is not None:
            by_rule.setdefault(failure.rule, []).append(failure)
    rules = [RuleResult(name, "failed", failures=items) for name, items in by_rule.items()]
    return ImportReport(saved=False, rules=rules, failures=list(failures), notes=notes)
