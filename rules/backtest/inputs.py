"""What a backtest is asked to run, from the editor's form or the API's JSON, checked:
every input bounded, a bad one named by its field (``BacktestInputError``).

The rule is read through the editor's own form (``RuleForm``), so a backtest accepts
exactly the rules the editor would save, and its bindings are the saved rule's (the
Web and Email Notifications tabs save on their own)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rules.backtest.limits import BacktestLimits
from rules.backtest.source import BacktestError
from rules.editor.forms import RuleForm
from rules.engine.definition import RuleDefinition
from rules.models import Rule
from rules.partition.definitions import definition_of

MAX_BODY_BYTES = 256 * 1024
MAX_NAME_CHARS = 512
BODY_KEYS = ("name", "hours", "rule")
DEFAULT_HOURS = 1


class BacktestInputError(BacktestError):
    """An input that cannot be run; ``field`` names it (``rule.<form field>`` for a
    field of the rule)."""


@dataclass(frozen=True)
class BacktestRequest:
    definition: RuleDefinition
    hours: int


def parse_hours(value: Any, limits: BacktestLimits) -> int:
    """Whole hours from 1 to ``limits.max_hours`` (a number or its digits)."""
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 6:
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise BacktestInputError("hours", "hours must be a whole number")
    if not 1 <= value <= limits.max_hours:
        raise BacktestInputError("hours", f"hours must be from 1 to {limits.max_hours}")
    return value


def _form_values(form: RuleForm) -> dict[str, Any]:
    """Every field's value as the unbound ``form`` shows it (the saved rule's, or a new
    rule's defaults), in the shape a bound form reads."""
    return {name: form.get_initial_for_field(field, name) for name, field in form.fields.items()}


def definition_from_form(data: Mapping[str, Any], rule: Rule | None) -> RuleDefinition:
    """The rule the editor's form holds (``data``, over the saved ``rule`` or a new one),
    unsaved, with the saved rule's bindings."""
    form = RuleForm(data, instance=rule)
    if not form.is_valid():
        field, errors = next(iter(form.errors.items()))
        label = "rule" if field == "__all__" else f"rule.{field}"
        raise BacktestInputError(label, f"{label}: {' '.join(str(e) for e in errors)}")
    return definition_of(form.save(commit=False))


def request_from_json(raw: bytes, limits: BacktestLimits) -> BacktestRequest:
    """``{"name": saved rule, "hours": N, "rule": {editor field: value}}``: the saved
    rule with the given fields changed, or (without ``name``) a new rule of the given
    fields; ``hours`` defaults to 1."""
    if len(raw) > MAX_BODY_BYTES:
        raise BacktestInputError("body", f"the body is over {MAX_BODY_BYTES} bytes")
    try:
        body = json.loads(raw or b"{}")
    except (UnicodeDecodeError, ValueError) as exc:
        raise BacktestInputError("body", f"the body is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise BacktestInputError("body", "the body must be a JSON object")
    unknown = sorted(set(body) - set(BODY_KEYS))
    if unknown:
        raise BacktestInputError(unknown[0], f"unknown field {unknown[0]!r}")
    hours = parse_hours(body.get("hours", DEFAULT_HOURS), limits)
    name = body.get("name")
    rule = None
    if name is not None:
        if not isinstance(name, str) or not name or len(name) > MAX_NAME_CHARS:
            raise BacktestInputError(
                "name", f"name must be a rule name of 1 to {MAX_NAME_CHARS} characters"
            )
        rule = Rule.objects.filter(name=name).first()
        if rule is None:
            raise BacktestInputError("name", f"no rule named {name!r}")
    fields = body.get("rule", {})
    if not isinstance(fields, dict):
        raise BacktestInputError("rule", "rule must be an object of the editor's fields")
    form = RuleForm(instance=rule if rule is not None else Rule())
    for key, value in fields.items():
        if key not in form.fields:
            raise BacktestInputError(f"rule.{key}", f"unknown rule field {key!r}")
        plain = isinstance(value, str | int | bool) or (
            isinstance(value, float) and math.isfinite(value)
        )
        if not plain:
            raise BacktestInputError(f"rule.{key}", "a rule field is a string, number or boolean")
    if rule is None and not fields:
        raise BacktestInputError("rule", "give the name of a saved rule, or the rule's fields")
    data = _form_values(form) | fields
    return BacktestRequest(definition_from_form(data, rule), hours)
