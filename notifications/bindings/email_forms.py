"""The form of one email binding on the rule's Email Notifications tab (spec §2.4).

It edits an ``EmailNotificationSpec``: recipients, per trigger the subject and HTML
body (templates), the details table and the chart, the repeat strategy and the delay
on OPEN, ``merge`` and ``priority``. Children of the element nothing models are kept.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django import forms

from rules.contract.bindings import INTERVAL_UNITS, STRATEGY_TYPES, TRIGGERS, Delay, RepeatInterval
from rules.contract.email_bindings import EmailNotificationSpec, EmailTriggerSettings

TRIGGER_KEYS = ("subject", "body", "details", "screenshot", "portal_ids")
TRIGGER_TITLES = {"open": "On Open", "repeat": "On Repeat", "cancel": "On Cancel"}
UNIT_CHOICES = [(u, u.lower()) for u in INTERVAL_UNITS]
PRIORITY_CHOICES = [(0, "normal"), (1, "high (marked urgent)")]


class EmailBindingForm(forms.Form):
    """One email binding; ``taken`` are the names of the rule's other email bindings."""

    name = forms.CharField(max_length=256)
    enabled = forms.BooleanField(required=False, initial=True)
    recipients = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Addresses separated by commas, semicolons or spaces; placeholders allowed.",
    )
    use_in_threshold_only = forms.BooleanField(required=False, label="Use in overrides only")
    repeat_type = forms.ChoiceField(
        choices=[(t, t.lower()) for t in STRATEGY_TYPES], label="Repeat", initial="ALL"
    )
    repeat_count = forms.IntegerField(min_value=0, initial=5, label="Repeat every")
    repeat_unit = forms.ChoiceField(choices=UNIT_CHOICES, initial="MINUTE", label="Repeat unit")
    delay_count = forms.IntegerField(min_value=0, initial=0, label="Delay on open")
    delay_unit = forms.ChoiceField(choices=UNIT_CHOICES, initial="SECOND", label="Delay unit")
    merge = forms.BooleanField(required=False)
    priority = forms.TypedChoiceField(choices=PRIORITY_CHOICES, coerce=int, initial=0)
    repeat_as_open = forms.BooleanField(required=False, label="On Repeat: same as On Open")
    cancel_as_open = forms.BooleanField(required=False, label="On Cancel: same as On Open")

    def __init__(self, data: Any = None, *, taken: set[str], spec: EmailNotificationSpec) -> None:
        super().__init__(data, initial=initial_of(spec))
        self.taken = taken
        self.spec = spec
        for trigger in TRIGGERS:
            title = TRIGGER_TITLES[trigger]
            self.fields[f"{trigger}_subject"] = forms.CharField(
                required=False, label=f"{title}: subject", help_text="Empty: no email."
            )
            self.fields[f"{trigger}_body"] = forms.CharField(
                required=False,
                strip=False,
                label=f"{title}: body (HTML)",
                widget=forms.Textarea(attrs={"rows": 6}),
            )
            self.fields[f"{trigger}_details"] = forms.BooleanField(
                required=False, label=f"{title}: include the details table"
            )
            self.fields[f"{trigger}_screenshot"] = forms.BooleanField(
                required=False, label=f"{title}: include the chart"
            )
            self.fields[f"{trigger}_portal_ids"] = forms.CharField(
                required=False, label=f"{title}: more portals (ids)", max_length=256
            )

    def trigger_blocks(self) -> list[dict[str, Any]]:
        """The per-trigger fields, grouped for the template."""
        return [
            {
                "trigger": t,
                "title": TRIGGER_TITLES[t],
                "fields": [
                    self[f"{t}_{k}"]
                    for k in ("subject", "body", "details", "screenshot", "portal_ids")
                ],
            }
            for t in TRIGGERS
        ]

    def general_fields(self) -> list[forms.BoundField]:
        names = [n for n in self.fields if not n.startswith(TRIGGERS)]
        return [self[n] for n in names]

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if name in self.taken:
            raise forms.ValidationError("Another email notification of this rule has this name.")
        return name

    def spec_of_form(self) -> EmailNotificationSpec:
        """The binding the form holds (elements it does not show kept from the original)."""
        data = self.cleaned_data
        triggers = {
            t: EmailTriggerSettings(
                subject=data[f"{t}_subject"].strip(),
                body=data[f"{t}_body"].replace("\r\n", "\n"),
                details=data[f"{t}_details"],
                screenshot=data[f"{t}_screenshot"],
                portal_ids=data[f"{t}_portal_ids"].strip(),
            )
            for t in TRIGGERS
        }
        return replace(
            self.spec,
            open=triggers["open"],
            repeat=triggers["repeat"],
            cancel=triggers["cancel"],
            name=data["name"],
            enabled=data["enabled"],
            use_in_threshold_only=data["use_in_threshold_only"],
            open_delay=Delay(data["delay_count"], data["delay_unit"]),
            repeat_interval=RepeatInterval(
                data["repeat_type"], data["repeat_count"], data["repeat_unit"]
            ),
            repeat_as_open=data["repeat_as_open"],
            cancel_as_open=data["cancel_as_open"],
            recipients=data["recipients"].strip(),
            merge=data["merge"],
            priority=data["priority"],
        )


def initial_of(spec: EmailNotificationSpec) -> dict[str, Any]:
    """The form's initial values for ``spec``."""
    initial: dict[str, Any] = {
        "name": spec.name,
        "enabled": spec.enabled,
        "recipients": spec.recipients,
        "use_in_threshold_only": spec.use_in_threshold_only,
        "repeat_type": spec.repeat_interval.type,
        "repeat_count": spec.repeat_interval.count,
        "repeat_unit": spec.repeat_interval.unit,
        "delay_count": spec.open_delay.count,
        "delay_unit": spec.open_delay.unit,
        "merge": spec.merge,
        "priority": min(spec.priority, 1),
        "repeat_as_open": spec.repeat_as_open,
        "cancel_as_open": spec.cancel_as_open,
    }
    for trigger in TRIGGERS:
        settings = spec.trigger(trigger)
        for key in TRIGGER_KEYS:
            initial[f"{trigger}_{key}"] = getattr(settings, key)
    return initial
