"""The binding editor of the Web Notifications tab (spec §7.2) and its template checks.

Contract of :class:`BindingForm`: ``is_valid()`` is True only when every parameter
value is a template whose ``${…}``, ``@{…}``, ``@if{…}``/``@else{…}`` and
``@foreach{… : …}`` expressions parse and compile (errors carry line and column in
the field's text) and every text can be written to rules.xml. Functions, methods
and fields the expression library does not know are ``warnings`` (they do not
block saving, as on rules.xml import). ``save()`` writes the row only; the view
then publishes the rule's XML (:func:`notifications.bindings.sync.publish_bindings`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError

from notifications.bindings.sync import next_binding_name, next_position
from notifications.models import Endpoint, RuleNotification
from notifications.rendering.template import parse_template
from rules.contract.bindings import (
    DEFAULT_DETAILS_FORMAT,
    DETAILS_FORMAT_KEY,
    DETAILS_FORMATS,
    INTERVAL_UNITS,
    TRIGGERS,
    RepeatInterval,
    secret_parameters,
)
from rules.expressions import ExpressionError, compile_expression
from rules.expressions.parser import parse as parse_expression
from rules.expressions.templates import template_expressions

PARAM_SEPARATOR = "__param__"
# "Message first" (§7.2): the text parameter of each kind leads its trigger block.
MESSAGE_KEYS = ("message", "text", "content", "MessageBody", "Message.Body.Text.Data")
# Labels of the endpoint forms (§7.4, §7.5); other keys are shown as they are.
PARAM_LABELS = {
    "message": "Message",
    "text": "Text",
    "content": "Content",
    "message_format": "Message Format",
    "notify": "Notify",
    "from": "Bot Nickname",
    "room": "Room Id",
    "channels": "Channels",
    "username": "Bot Username",
    "chat_id": "Chat ID",
}
DIGEST_THRESHOLD = RuleNotification._meta.get_field("digest_threshold").default
TRIGGER_TITLES = {"open": "On Open", "repeat": "On Repeat", "cancel": "On Cancel"}
REPEAT_CHOICES = [
    ("ALL", "All"),
    ("COUNT", "Every N events"),
    ("INTERVAL", "Every N minutes"),
    ("NONE", "None"),
]
# Compile errors that only mean "not in our library": warnings, as on rules.xml import.
_UNKNOWN_PREFIXES = ("unknown function", "unknown method", "unknown field")
_NOT_XML_CHAR_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_PORTAL_IDS_RE = re.compile(r"^\s*[A-Za-z0-9_.-]+(\s*,\s*[A-Za-z0-9_.-]+)*\s*$")


# --------------------------------------------------------------- templates


@dataclass(frozen=True)
class TemplateCheck:
    """Outcome of :func:`check_template`: blocking ``errors`` and advisory ``warnings``."""

    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def _where(text: str, position: int) -> str:
    located = ExpressionError("", position, text)
    return f"line {located.line}, column {located.column}"


def check_template(text: str) -> TemplateCheck:
    """Check every expression of a parameter template without evaluating it.

    Each ``${expr}`` (and directive expression) is compiled with
    ``compile_expression(expr, "template")``. Messages name the placeholder and the
    position of the fault in ``text`` (1-based line and column): a syntax error is
    "unexpected ')' in ${round(} at line 1, column 9"; an unknown function is a
    warning. Structural problems (a missing ``}``, ``@else`` without ``@if``, an
    unclosed block) are errors. ``$${`` is a literal ``${`` and is not checked.
    """
    errors: list[str] = [
        f"{problem.message} at {_where(text, problem.position)}"
        for problem in parse_template(text).errors
    ]
    warnings: list[str] = []
    for found in template_expressions(text):
        problem = _check_expression(found.expression)
        if problem is None:
            continue
        message, position, is_warning = problem
        located = f"{message} in {found.source} at {_where(text, found.offset + position)}"
        (warnings if is_warning else errors).append(located)
    return TemplateCheck(tuple(errors), tuple(warnings))


def _check_expression(expression: str) -> tuple[str, int, bool] | None:
    """(message, offset in ``expression``, is_warning) of its first problem, or None."""
    if not expression.strip():
        return "empty placeholder", 0, False
    try:
        parse_expression(expression)
    except ExpressionError as exc:
        return exc.message, exc.position, False
    try:
        compile_expression(expression, "template")
    except ExpressionError as exc:
        return exc.message, exc.position, exc.message.startswith(_UNKNOWN_PREFIXES)
    return None


def _xml_safe(value: str) -> None:
    bad = _NOT_XML_CHAR_RE.search(value)
    if bad:
        raise ValidationError(
            f"contains the control character U+{ord(bad.group()):04X}, which rules.xml cannot hold"
        )


# ------------------------------------------------------------------ the form


def param_field_name(trigger: str, key: str) -> str:
    """Form field name of parameter ``key`` of ``trigger`` (``open__param__message``)."""
    return f"{trigger}{PARAM_SEPARATOR}{key}"


def order_keys(keys: Iterable[str]) -> list[str]:
    """Unique keys, message/text keys first, otherwise in the order given."""
    unique = list(dict.fromkeys(k for k in keys if k and k != DETAILS_FORMAT_KEY))
    return sorted(unique, key=lambda k: k not in MESSAGE_KEYS)


def endpoint_choices(current: str) -> list[tuple[str, str]]:
    """Enabled endpoints by name; ``current`` stays selectable and says what is wrong with it."""
    enabled = list(Endpoint.objects.filter(enabled=True).order_by("name"))
    choices = [(e.name, f"{e.name} ({e.kind})") for e in enabled]
    if current and current not in {e.name for e in enabled}:
        stored = Endpoint.objects.filter(name=current).first()
        note = "disabled" if stored is not None else "unresolved: no such endpoint"
        choices.insert(0, (current, f"{current} ({note})"))
    return choices


@dataclass
class ParamRow:
    """One parameter input of a trigger block."""

    key: str
    label: str
    field: forms.BoundField
    editable: bool  # editable on the endpoint; otherwise kept but ignored when sending
    warnings: list[str]


@dataclass
class TriggerBlock:
    """What the template draws for one trigger: its title, fixed fields and parameters."""

    trigger: str
    title: str
    fields: list[forms.BoundField]
    params: list[ParamRow]
    attachments: list[forms.BoundField]


class BindingForm(forms.Form):
    """One web-notification binding of ``rule``; ``instance`` is None for a new one.

    Parameter inputs are the selected endpoint's editable keys (message first), plus
    keys the binding already stores and keys present in the submitted data, so that
    nothing imported is lost when the endpoint changes or does not exist.
    """

    name = forms.CharField(
        max_length=256,
        help_text="The binding's id inside the rule; override rows and logs refer to it.",
    )
    enabled = forms.BooleanField(required=False, label="Enabled")
    endpoint = forms.ChoiceField(label="Endpoint", choices=())
    use_in_threshold_only = forms.BooleanField(
        required=False,
        label="Use in Overrides Only",
        help_text="Fire only when an override row names this binding.",
    )
    digest_enabled = forms.BooleanField(
        required=False,
        label="Storm Digest",
        help_text="When the room's rate limit is reached, fold the waiting messages into "
        "one digest message with the full list attached.",
    )
    digest_threshold = forms.IntegerField(
        required=False,
        min_value=1,
        initial=DIGEST_THRESHOLD,
        label="Digest Threshold",
        help_text="Fold only when at least this many messages wait for the endpoint.",
    )
    open_enabled = forms.BooleanField(required=False, label="Enabled")
    open_delay_count = forms.IntegerField(min_value=0, initial=0, label="Delay")
    open_delay_unit = forms.ChoiceField(
        choices=[(u, u.lower()) for u in INTERVAL_UNITS], initial="SECOND", label="Delay unit"
    )
    details_format = forms.ChoiceField(
        choices=[(f, f) for f in DETAILS_FORMATS],
        initial=DEFAULT_DETAILS_FORMAT,
        label="Details format",
        help_text="Format of the details table, for every trigger.",
    )
    repeat_enabled = forms.BooleanField(required=False, label="Enabled")
    repeat_type = forms.ChoiceField(
        choices=REPEAT_CHOICES, initial="ALL", widget=forms.RadioSelect, label="Repeat Interval"
    )
    repeat_count = forms.IntegerField(min_value=0, initial=5, label="N")
    repeat_unit = forms.ChoiceField(
        choices=[(u, u.lower()) for u in INTERVAL_UNITS],
        initial="MINUTE",
        label="Interval unit",
        help_text="For 'Every N minutes': the unit of N.",
    )
    repeat_as_open = forms.BooleanField(required=False, label="Same as 'On Open'")
    cancel_enabled = forms.BooleanField(required=False, label="Enabled")
    cancel_as_open = forms.BooleanField(required=False, label="Same as 'On Open'")

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        rule: Any,
        instance: RuleNotification | None = None,
        endpoint_name: str = "",
    ) -> None:
        self.rule = rule
        self.instance = instance
        self.warnings: dict[str, list[str]] = {}
        initial = self._initial(instance, endpoint_name)
        if instance is None:
            initial["name"] = next_binding_name(rule.name)
        super().__init__(data, initial=initial)
        for trigger in TRIGGERS:
            self.fields[f"{trigger}_details"] = forms.BooleanField(
                required=False, label="Attach Details"
            )
            self.fields[f"{trigger}_screenshot"] = forms.BooleanField(
                required=False, label="Attach Screenshot", help_text="The Series Chart portal."
            )
            self.fields[f"{trigger}_portal_ids"] = forms.CharField(
                required=False,
                max_length=256,
                label="Attach Portals",
                help_text="Extra portal ids, comma separated.",
            )
        stored_endpoint = instance.endpoint_name if instance else ""
        choices = endpoint_choices(stored_endpoint)
        cast(forms.ChoiceField, self.fields["endpoint"]).choices = choices
        if self.initial.get("endpoint") not in {value for value, _label in choices}:
            # A new binding starts on the first enabled endpoint (or the one asked for).
            self.initial["endpoint"] = choices[0][0] if choices else ""
        selected = (data.get("endpoint") if data is not None else None) or self.initial.get(
            "endpoint", ""
        )
        self.selected_endpoint = (
            Endpoint.objects.filter(name=selected).first() if selected else None
        )
        editable = self.selected_endpoint.editable_keys() if self.selected_endpoint else []
        self.param_keys: dict[str, list[str]] = {}
        for trigger in TRIGGERS:
            stored = list((getattr(instance, f"{trigger}_params", None) or {}).keys())
            posted = [
                name.split(PARAM_SEPARATOR, 1)[1]
                for name in (data or {})
                if name.startswith(trigger + PARAM_SEPARATOR)
            ]
            keys = order_keys([*editable, *stored, *posted])
            self.param_keys[trigger] = keys
            for index, key in enumerate(keys):
                field = self._param_field(trigger, key, index)
                self.fields[param_field_name(trigger, key)] = field
        self.editable_keys = set(editable)

    # --------------------------------------------------------------- set-up

    @staticmethod
    def _initial(instance: RuleNotification | None, endpoint_name: str) -> dict[str, Any]:
        if instance is None:
            return {
                "enabled": True,
                "open_enabled": True,
                "endpoint": endpoint_name,
                "repeat_count": RepeatInterval().count,
                "digest_threshold": DIGEST_THRESHOLD,
            }
        default = RepeatInterval()
        strategy = instance.repeat_strategy or {}
        initial: dict[str, Any] = {
            "name": instance.name,
            "enabled": instance.enabled,
            "endpoint": instance.endpoint_name,
            "use_in_threshold_only": instance.use_in_threshold_only,
            "digest_enabled": instance.digest_enabled,
            "digest_threshold": instance.digest_threshold,
            "open_delay_count": instance.open_delay_count,
            "open_delay_unit": instance.open_delay_unit,
            "details_format": instance.details_format or DEFAULT_DETAILS_FORMAT,
            "repeat_type": strategy.get("type", default.type),
            "repeat_count": strategy.get("count", default.count),
            "repeat_unit": strategy.get("unit", default.unit),
            "repeat_as_open": instance.repeat_as_open,
            "cancel_as_open": instance.cancel_as_open,
        }
        for trigger in TRIGGERS:
            for attr in ("enabled", "details", "screenshot", "portal_ids"):
                initial[f"{trigger}_{attr}"] = getattr(instance, f"{trigger}_{attr}")
            for key, value in (getattr(instance, f"{trigger}_params") or {}).items():
                initial[param_field_name(trigger, key)] = value
        return initial

    def _param_field(self, trigger: str, key: str, index: int) -> forms.Field:
        # Keys may hold any character (CUSTOM "detailsTable('ascii')"): number the ids.
        attrs = {"id": f"id_{trigger}_p{index}", "spellcheck": "false"}
        widget: forms.Widget
        if key in secret_parameters():
            # A token the endpoint lets rules override: write-only, as on the endpoint form.
            if self._stored_param(trigger, key):
                attrs["placeholder"] = "stored; leave blank to keep"
            widget = forms.PasswordInput(render_value=False, attrs=attrs)
        elif key in MESSAGE_KEYS:
            widget = forms.Textarea(attrs={**attrs, "rows": 3})
        else:
            widget = forms.TextInput(attrs=attrs)
        return forms.CharField(required=False, strip=False, label=key, widget=widget)

    def _stored_param(self, trigger: str, key: str) -> str:
        return str((getattr(self.instance, f"{trigger}_params", None) or {}).get(key, ""))

    # --------------------------------------------------------- presentation

    def general_fields(self) -> list[forms.BoundField]:
        names = ("enabled", "name", "endpoint", "use_in_threshold_only")
        return [self[n] for n in (*names, "digest_enabled", "digest_threshold")]

    def trigger_blocks(self) -> list[TriggerBlock]:
        """The On Open / On Repeat / On Cancel blocks in page order (§7.2 editor)."""
        head = {
            "open": ["open_enabled", "open_delay_count", "open_delay_unit"],
            "repeat": [
                "repeat_enabled",
                "repeat_as_open",
                "repeat_type",
                "repeat_count",
                "repeat_unit",
            ],
            "cancel": ["cancel_enabled", "cancel_as_open"],
        }
        attach = {t: [f"{t}_details", f"{t}_screenshot", f"{t}_portal_ids"] for t in TRIGGERS}
        attach["open"].insert(1, "details_format")
        return [
            TriggerBlock(
                trigger=t,
                title=TRIGGER_TITLES[t],
                fields=[self[n] for n in head[t]],
                params=[
                    ParamRow(
                        key=k,
                        label=PARAM_LABELS.get(k, k),
                        field=self[param_field_name(t, k)],
                        editable=k in self.editable_keys,
                        warnings=self.warnings.get(param_field_name(t, k), []),
                    )
                    for k in self.param_keys[t]
                ],
                attachments=[self[n] for n in attach[t]],
            )
            for t in TRIGGERS
        ]

    # ----------------------------------------------------------- validation

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        _xml_safe(name)
        if not name:
            raise ValidationError("A binding needs a name.")
        others = RuleNotification.objects.filter(rule_name=self.rule.name, name=name)
        if self.instance is not None and self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise ValidationError(f"This rule already has a binding named {name!r}.")
        return name

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or self.cleaned_data
        for trigger in TRIGGERS:
            field = f"{trigger}_portal_ids"
            ids = cleaned.get(field, "")
            if ids and not _PORTAL_IDS_RE.match(ids):
                self.add_error(field, "Portal ids are names or numbers separated by commas.")
            for key in self.param_keys[trigger]:
                self._check_param(param_field_name(trigger, key))
        repeat = cleaned.get("repeat_type")
        if repeat in ("COUNT", "INTERVAL") and not cleaned.get("repeat_count"):
            self.add_error("repeat_count", "N must be 1 or more for this repeat interval.")
        return cleaned

    def _check_param(self, field: str) -> None:
        value = self.cleaned_data.get(field)
        if not value:
            return
        try:
            _xml_safe(value)
        except ValidationError as exc:
            self.add_error(field, exc)
            return
        result = check_template(value)
        for error in result.errors:
            self.add_error(field, error)
        if result.warnings:
            self.warnings[field] = list(result.warnings)

    def warning_messages(self) -> list[str]:
        """Warnings as "On Open message: …" lines, for the messages shown after saving."""
        lines: list[str] = []
        for field, items in self.warnings.items():
            trigger, _, key = field.partition(PARAM_SEPARATOR)
            label = f"{TRIGGER_TITLES.get(trigger, trigger)} {key}"
            lines.extend(f"{label}: {item}: not run by the engine yet" for item in items)
        return lines

    # ----------------------------------------------------------------- save

    def save(self) -> RuleNotification:
        """Write the row (creating it for a new binding); the caller publishes the XML."""
        data = self.cleaned_data
        row = self.instance or RuleNotification(
            rule_name=self.rule.name, position=next_position(self.rule.name)
        )
        row.name = data["name"]
        row.enabled = data["enabled"]
        row.endpoint_name = data["endpoint"]
        row.use_in_threshold_only = data["use_in_threshold_only"]
        row.digest_enabled = data["digest_enabled"]
        row.digest_threshold = data["digest_threshold"] or DIGEST_THRESHOLD
        row.open_delay_count = data["open_delay_count"]
        row.open_delay_unit = data["open_delay_unit"]
        row.repeat_strategy = {
            "type": data["repeat_type"],
            "count": data["repeat_count"] or 0,
            "unit": data["repeat_unit"],
        }
        row.repeat_as_open = data["repeat_as_open"]
        row.cancel_as_open = data["cancel_as_open"]
        details_format = data["details_format"]
        row.details_format = details_format
        for trigger in TRIGGERS:
            for attr in ("enabled", "details", "screenshot"):
                setattr(row, f"{trigger}_{attr}", data[f"{trigger}_{attr}"])
            setattr(row, f"{trigger}_portal_ids", data[f"{trigger}_portal_ids"].strip())
            params = {
                key: data.get(param_field_name(trigger, key))
                or (self._stored_param(trigger, key) if key in secret_parameters() else "")
                for key in self.param_keys[trigger]
            }
            setattr(row, f"{trigger}_params", params)
        # rules.xml has no element for the details format: it travels as the
        # details_table_format parameter (§2.3), which the XML reader takes it from.
        if details_format != DEFAULT_DETAILS_FORMAT or DETAILS_FORMAT_KEY in self.editable_keys:
            row.open_params[DETAILS_FORMAT_KEY] = details_format
        row.save()
        return row
