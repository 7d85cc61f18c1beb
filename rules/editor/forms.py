"""Forms of the Rules pages: the rule editor and the rules.xml import upload.

The editor validates exactly what import validates (``check_expression`` for
the condition, filter and variables, ``normalize_window`` for the window, which is
the engine's own window parser, ``normalize_entity_filter`` for patterns), so a
rule saved in the browser exports and re-imports unchanged, and a rule that
imports can be saved again without edits. Errors carry the position of the
fault; functions the engine does not run yet are warnings, not errors.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

from rules.editor.overrides_text import HEADER, rows_to_text, text_to_rows
from rules.engine.windows import WindowSpecError, parse_window_spec
from rules.expressions.functions.not_run import NOT_RUN as NOT_RUN_FUNCTIONS
from rules.models.rule import Rule, Severity, TagsGroupingStrategy
from rules.rulesxml import ImportReport, import_rules
from rules.rulesxml.document import max_bytes
from rules.rulesxml.fields import (
    INTERVAL_UNITS,
    normalize_entity_filter,
    normalize_newlines,
    normalize_window,
    parse_tags,
)
from rules.rulesxml.overrides import read_rule_table, write_rule_table
from rules.rulesxml.validation import ExpressionKind, check_expression

# Characters XML 1.0 cannot carry (spec §2.1 exports every rule as XML): C0
# controls other than tab/LF/CR, lone surrogates, U+FFFE and U+FFFF.
_NOT_XML_CHAR_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# "… at line 2, column 7" is the documented str() of ExpressionError.
_LOCATION_RE = re.compile(r"^(?P<message>.*) at line (?P<line>\d+), column (?P<column>\d+)$", re.S)
_VARIABLE_LINE_RE = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)\s*")
_ANY_NAME_RE = re.compile(r"^(?P<name>\S+?)\s*=(?!=)")

NOT_RUN_YET = "not run by the engine yet"


def _not_run_warnings(functions: tuple[str, ...]) -> list[str]:
    """A warning per function registered as not run (each call is a Rule Error)."""
    return [f"{name}: not run ({NOT_RUN_FUNCTIONS[name]})" for name in functions]


GROUPING_LABELS = {
    TagsGroupingStrategy.ALL_TAGS: "All tags",
    TagsGroupingStrategy.NO_TAGS: "No tags",
    TagsGroupingStrategy.DEFINED_TAGS: "Listed tags",
}


def display_window(window: str) -> str:
    """The window as ATSD's UI shows it: ``length(N)`` reads ``count(N)``.

    Text that does not parse (only possible for rows written outside the
    editor and import) is shown as stored.
    """
    try:
        spec = parse_window_spec(window)
    except WindowSpecError:
        return window
    return spec.display if spec.kind == "count" else window.strip()


def stored_overrides_text(xml: str) -> str:
    """The editor text of a stored overrides table; a table the editor cannot read
    (stored outside import and the editor) shows as its XML, to be corrected."""
    try:
        return rows_to_text(read_rule_table(xml))
    except ValueError:
        return xml


def variables_to_text(variables: list[dict[str, str]]) -> str:
    """``[{name, expression}]`` → the editor text, one ``name = expression`` per line.

    Lines after the first of a multi-line expression are indented so that
    ``parse_variables`` reads them as continuations (an added indent changes
    nothing outside string literals).
    """
    lines: list[str] = []
    for variable in variables:
        first, *rest = variable["expression"].split("\n")
        lines.append(f"{variable['name']} = {first}")
        lines.extend(line if line[:1].isspace() or not line else "  " + line for line in rest)
    return "\n".join(lines)


@dataclass
class VariableLine:
    """One variable read from the editor text, with where its expression starts."""

    name: str
    expression: str
    line: int  # 1-based line of the editor text where the definition starts
    column_offset: int  # characters before the expression on that line


def parse_variables(text: str) -> tuple[list[VariableLine], list[str]]:
    """Read the editor's variables text: ``name = expression`` per line.

    A line starting with whitespace continues the previous variable's
    expression; blank lines are skipped. Returns the variables in order and
    the errors found (with the line of the text), never raises.
    """
    variables: list[VariableLine] = []
    errors: list[str] = []
    seen: set[str] = set()
    for number, line in enumerate(normalize_newlines(text).split("\n"), start=1):
        if not line.strip():
            continue
        if line[:1].isspace():
            if not variables:
                errors.append(f"line {number}: expected 'name = expression'")
            elif variables[-1].line > 0:
                variables[-1].expression += "\n" + line
            continue
        match = _VARIABLE_LINE_RE.match(line)
        if match is None:
            bad_name = _ANY_NAME_RE.match(line)
            if bad_name:
                errors.append(
                    f"line {number}: {bad_name.group('name')!r} is not a valid variable name "
                    "(letters, digits and _, not starting with a digit)"
                )
            else:
                errors.append(f"line {number}: expected 'name = expression'")
            # A placeholder swallows continuation lines of the broken definition.
            variables.append(VariableLine("", "", 0, 0))
            continue
        name = match.group("name")
        expression = line[match.end() :]
        if name in seen:
            errors.append(f"line {number}: variable {name!r} is defined twice")
        seen.add(name)
        variables.append(VariableLine(name, expression, number, match.end()))
    return [v for v in variables if v.line > 0], errors


def _shift_location(message: str, line: int, column_offset: int) -> str:
    """Rewrite "… at line l, column c" of an expression to the editor text's coordinates."""
    match = _LOCATION_RE.match(message)
    if match is None:
        return message
    local_line, local_column = int(match.group("line")), int(match.group("column"))
    column = local_column + column_offset if local_line == 1 else local_column
    return f"{match.group('message')} at line {line + local_line - 1}, column {column}"


def _xml_safe(value: str) -> None:
    bad = _NOT_XML_CHAR_RE.search(value)
    if bad:
        raise ValidationError(
            f"contains the control character U+{ord(bad.group()):04X}, which rules.xml cannot hold"
        )


class RuleForm(forms.ModelForm[Rule]):
    """The rule editor (create and edit).

    Contract: ``is_valid()`` is True only when the condition, filter and every
    variable compile for their kind and the window parses; each failure is
    attached to its field with its line and column. ``warnings`` maps field
    names to functions the engine does not run yet (they do not block saving,
    as on import). The name cannot change once the rule exists. ``save()``
    stores the window in XML form (``length(N)``), the variables as
    ``user_expressions`` in order, and stamps ``last_updated``.
    """

    window = forms.CharField(
        max_length=64,
        help_text="count(N) for the last N samples, or time(N unit), e.g. time(15 minute).",
    )
    group_by_entity = forms.BooleanField(
        required=False,
        label="Group by entity",
        help_text="Off: one window per metric and tags for all entities.",
    )
    grouping_tags = forms.CharField(
        required=False,
        label="Tags",
        help_text="Comma-separated tag names, used with 'Listed tags'.",
    )
    variables = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text=(
            "One variable per line: name = expression. A line starting with a space "
            "continues the previous one. Variables are computed top to bottom and "
            "may use the ones above them; the condition may use all of them."
        ),
    )
    overrides = forms.CharField(
        required=False,
        label="Overrides",
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text=(
            f"One row per line: {HEADER}. The first row matching a window's entity, "
            "group and tags replaces the condition: the error check opens a CRITICAL "
            "alert, the warning check a WARNING one; a row naming notifications sends "
            "only to them."
        ),
    )
    time_filter_count = forms.IntegerField(
        min_value=0, max_value=2**31 - 1, label="Time offset", required=True
    )
    time_filter_unit = forms.ChoiceField(
        choices=[(u, u.lower()) for u in INTERVAL_UNITS], label="Time offset unit"
    )

    flap_changes = forms.IntegerField(
        min_value=1, max_value=10_000, required=False, label="Changes (N)",
        help_text="More than N OPEN→CANCEL changes within the period: the window is flapping.",
    )  # fmt: skip
    flap_period_count = forms.IntegerField(
        min_value=1, max_value=100_000, required=False, label="Period (M)",
        help_text="Counted over the last M; stable again after M without a change.",
    )  # fmt: skip
    flap_period_unit = forms.ChoiceField(
        choices=[(u, u.lower()) for u in ("SECOND", "MINUTE", "HOUR")],
        required=False,
        label="Period unit",
    )

    class Meta:
        model = Rule
        fields = [
            "name",
            "enabled",
            "metric",
            "window",
            "entity_filter",
            "group_filter",
            "filter",
            "tags_grouping_strategy",
            "leaving_events",
            "expression",
            "severity",
            "time_filter_count",
            "time_filter_unit",
            "discard_previous_values",
            "description",
            "flap_damping",
            "flap_changes",
            "flap_period_count",
            "flap_period_unit",
        ]
        labels = {
            "entity_filter": "Entity filter",
            "group_filter": "Entity group",
            "filter": "Filter expression",
            "tags_grouping_strategy": "Tag grouping",
            "leaving_events": "Check On Exit",
            "expression": "Condition",
            "discard_previous_values": "Discard out-of-order values",
            "flap_damping": "Damp flapping",
        }
        help_texts = {
            "metric": "Metric name, or 'message' / 'property' for those events.",
            "entity_filter": "Entity names or patterns (* and ?), separated by spaces.",
            "group_filter": "Only entities of this entity group (empty: any entity).",
            "filter": "Applied before the window; statistical functions are not allowed.",
            "leaving_events": "Time windows: evaluate again when a sample expires.",
            "discard_previous_values": "Drop samples older than the newest one in the window.",
            "flap_damping": (
                "A flapping window sends one 'flapping' message instead of each OPEN and "
                "CANCEL, then one message with its state once stable."
            ),
        }
        widgets = {
            "entity_filter": forms.TextInput(),
            "group_filter": forms.TextInput(),
            "filter": forms.Textarea(attrs={"rows": 2, "spellcheck": "false"}),
            "expression": forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
            "description": forms.Textarea(attrs={"rows": 2}),
            "tags_grouping_strategy": forms.RadioSelect(),
        }

    def __init__(self, *args: Any, read_only: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.warnings: dict[str, list[str]] = {}
        rule: Rule = self.instance
        grouping = cast(forms.ChoiceField, self.fields["tags_grouping_strategy"])
        severity = cast(forms.ChoiceField, self.fields["severity"])
        grouping.choices = list(GROUPING_LABELS.items())
        severity.choices = [(s.value, s.label.title()) for s in Severity]
        if rule.pk is None:
            self.initial.setdefault("group_by_entity", True)
            self.initial.setdefault("window", "count(1)")
        else:
            self.initial.update(
                window=display_window(rule.window),
                group_by_entity=not rule.disable_entity_grouping,
                grouping_tags=", ".join(rule.tags),
                variables=variables_to_text(rule.user_expressions),
                overrides=stored_overrides_text(rule.rule_table_xml),
            )
            # Name is the rule's identity in rules.xml (spec §2.2): renaming is a new rule.
            self.fields["name"].disabled = True
            self.fields["name"].help_text = "Immutable: create a new rule to rename."
        if read_only:
            for field in self.fields.values():
                field.disabled = True

    SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
        ("Rule", ("name", "enabled", "description")),
        (
            "Filters",
            (
                "metric",
                "entity_filter",
                "group_filter",
                "filter",
                "time_filter_count",
                "time_filter_unit",
                "discard_previous_values",
            ),
        ),
        (
            "Grouping and window",
            (
                "group_by_entity",
                "tags_grouping_strategy",
                "grouping_tags",
                "window",
                "leaving_events",
            ),
        ),
        ("Condition", ("variables", "expression", "severity", "overrides")),
        (
            "Flap damping",
            ("flap_damping", "flap_changes", "flap_period_count", "flap_period_unit"),
        ),
    )

    def sections(self) -> list[tuple[str, list[tuple[forms.BoundField, list[str]]]]]:
        """The editor layout: (title, [(bound field, its warnings)]) in page order."""
        return [
            (title, [(self[name], self.warnings.get(name, [])) for name in names])
            for title, names in self.SECTIONS
        ]

    # --- per-field checks -------------------------------------------------------

    def _text(self, name: str) -> str:
        value = normalize_newlines(self.cleaned_data.get(name) or "")
        _xml_safe(value)
        return value

    # Flap damping values left out of a post (older clients, scripts) keep the rule's.
    def clean_flap_changes(self) -> int:
        return self.cleaned_data.get("flap_changes") or self.instance.flap_changes

    def clean_flap_period_count(self) -> int:
        return self.cleaned_data.get("flap_period_count") or self.instance.flap_period_count

    def clean_flap_period_unit(self) -> str:
        return self.cleaned_data.get("flap_period_unit") or self.instance.flap_period_unit

    def clean_name(self) -> str:
        return self._text("name")

    def clean_metric(self) -> str:
        return self._text("metric")

    def clean_entity_filter(self) -> str:
        try:
            return normalize_entity_filter(self._text("entity_filter"))
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    def clean_description(self) -> str:
        return self._text("description")

    def clean_window(self) -> str:
        try:
            return normalize_window(self._text("window"))
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    def clean_grouping_tags(self) -> list[str]:
        return parse_tags(self._text("grouping_tags"))

    def clean_expression(self) -> str:
        return self._expression("expression", "condition")

    def clean_filter(self) -> str:
        text = self._text("filter")
        if not text.strip():
            return ""
        return self._expression("filter", "filter")

    def _expression(self, field: str, kind: ExpressionKind) -> str:
        text = self._text(field)
        result = check_expression(text, kind)
        warnings = [f"{item}: {NOT_RUN_YET}" for item in result.unsupported]
        warnings.extend(_not_run_warnings(result.not_run))
        if warnings:
            self.warnings[field] = warnings
        if result.error:
            raise ValidationError(result.error)
        return text

    def clean_variables(self) -> list[dict[str, str]]:
        variables, errors = parse_variables(self._text("variables"))
        warnings: list[str] = []
        for variable in variables:
            result = check_expression(variable.expression, "variable")
            shift = (variable.line, variable.column_offset)
            if result.error:
                errors.append(f"{variable.name}: {_shift_location(result.error, *shift)}")
            warnings.extend(
                f"{variable.name}: {_shift_location(item, *shift)}: {NOT_RUN_YET}"
                for item in result.unsupported
            )
            warnings.extend(f"{variable.name}: {w}" for w in _not_run_warnings(result.not_run))
        if warnings:
            self.warnings["variables"] = warnings
        if errors:
            raise ValidationError(errors)
        return [{"name": v.name, "expression": v.expression} for v in variables]

    def clean_group_filter(self) -> str:
        return self._text("group_filter").strip()

    def clean_overrides(self) -> str:
        """The ``<ruleTable>`` XML to store; unchanged text keeps the stored table as
        it is (with its e-mail routing, which the editor does not show)."""
        text = self._text("overrides")
        stored = self.instance.rule_table_xml
        if text.strip() == stored_overrides_text(stored).strip():
            return stored
        rows, errors = text_to_rows(text)
        if errors:
            raise ValidationError(errors)
        return write_rule_table(rows)

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        strategy = cleaned.get("tags_grouping_strategy")
        if strategy == TagsGroupingStrategy.DEFINED_TAGS and not cleaned.get("grouping_tags"):
            self.add_error("grouping_tags", "List at least one tag name for 'Listed tags'.")
        return cleaned

    def save(self, commit: bool = True) -> Rule:
        """Save the rule; call only after ``is_valid()``."""
        # The editor-only fields map onto model fields that construct_instance()
        # does not know about.
        rule: Rule = self.instance
        rule.disable_entity_grouping = not self.cleaned_data["group_by_entity"]
        rule.tags = self.cleaned_data["grouping_tags"]
        rule.user_expressions = self.cleaned_data["variables"]
        rule.rule_table_xml = self.cleaned_data["overrides"]
        rule.last_updated = int(time.time() * 1000)
        return super().save(commit=commit)


class ImportForm(forms.Form):
    """The rules.xml upload.

    Contract of ``run``: returns the ``ImportReport`` of ``import_rules`` (all
    or nothing), or ``None`` after attaching the reason to the ``file`` field
    when the document as a whole is unusable (not XML, DOCTYPE/entities,
    oversize, wrong root, no rules), so the page can ask for another file.
    """

    file = forms.FileField(label="rules.xml file", help_text="An ATSD rules export (XML, UTF-8).")
    auto_enable = forms.BooleanField(required=False, label="Auto-enable New Rules")

    def clean_file(self) -> UploadedFile[bytes]:
        upload: UploadedFile[bytes] = self.cleaned_data["file"]
        limit = max_bytes()
        # Check the declared size before reading the upload into memory.
        if upload.size is not None and upload.size > limit:
            raise ValidationError(
                f"The file is {upload.size} bytes, larger than the import limit of {limit} bytes."
            )
        return upload

    def run(self, user: Any) -> ImportReport | None:
        """Import the uploaded file; call only after ``is_valid()``."""
        upload: UploadedFile[bytes] = self.cleaned_data["file"]
        data = upload.read(max_bytes() + 1)
        report = import_rules(data, auto_enable=self.cleaned_data["auto_enable"], user=user)
        document_only = not report.saved and all(f.rule is None for f in report.failures)
        if document_only:
            for failure in report.failures:
                reason = failure.reason
                if failure.element:
                    reason = f"<{failure.element}>: {reason}"
                self.add_error("file", f"The file was not imported: {reason}.")
            return None
        if report.saved and not report.rules:
            self.add_error("file", "The file holds no <rule> elements: nothing was imported.")
            return None
        return report
