"""``RuleNotification`` rows ↔ ``WebNotificationSpec``: the tab's rows in the contract's shape.

A row stores a spec field by field (the strategy as a small JSON value, each trigger's
parameters as a JSON map). ``spec_of`` reads a row back normalised the way the XML
reader normalises, so that a row and the element it came from compare equal.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from notifications.models import RuleNotification
from rules.contract.bindings import (
    DEFAULT_DELAY_UNIT,
    DEFAULT_DETAILS_FORMAT,
    TRIGGERS,
    Delay,
    RepeatInterval,
    TriggerSettings,
    WebNotificationSpec,
)


def spec_of(row: RuleNotification) -> WebNotificationSpec:
    """The binding a row holds."""
    strategy = dict(row.repeat_strategy or {})
    default = RepeatInterval()
    triggers = {
        t: TriggerSettings(
            enabled=getattr(row, f"{t}_enabled"),
            parameters={str(k): str(v) for k, v in (getattr(row, f"{t}_params") or {}).items()},
            details=getattr(row, f"{t}_details"),
            screenshot=getattr(row, f"{t}_screenshot"),
            portal_ids=str(getattr(row, f"{t}_portal_ids") or ""),
        )
        for t in TRIGGERS
    }
    return WebNotificationSpec(
        name=row.name,
        enabled=row.enabled,
        endpoint=row.endpoint_name,
        use_in_threshold_only=row.use_in_threshold_only,
        open_delay=Delay(
            int(row.open_delay_count or 0), str(row.open_delay_unit or DEFAULT_DELAY_UNIT).upper()
        ),
        repeat_interval=RepeatInterval(
            str(strategy.get("type") or default.type).upper(),
            int(strategy.get("count", default.count) or 0),
            str(strategy.get("unit") or default.unit).upper(),
        ),
        repeat_as_open=row.repeat_as_open,
        cancel_as_open=row.cancel_as_open,
        open=triggers["open"],
        repeat=triggers["repeat"],
        cancel=triggers["cancel"],
        details_format=str(row.details_format or DEFAULT_DETAILS_FORMAT),
        extra_elements=tuple(row.raw_extra or ()),
    )


def row_fields(spec: WebNotificationSpec) -> dict[str, Any]:
    """The ``RuleNotification`` field values that hold ``spec`` (rule and position aside)."""
    strategy = spec.repeat_interval
    fields: dict[str, Any] = {
        "name": spec.name,
        "enabled": spec.enabled,
        "endpoint_name": spec.endpoint,
        "use_in_threshold_only": spec.use_in_threshold_only,
        "open_delay_count": spec.open_delay.count,
        "open_delay_unit": spec.open_delay.unit,
        "repeat_strategy": {"type": strategy.type, "count": strategy.count, "unit": strategy.unit},
        "repeat_as_open": spec.repeat_as_open,
        "cancel_as_open": spec.cancel_as_open,
        "details_format": spec.details_format,
        "raw_extra": list(spec.extra_elements),
    }
    for t in TRIGGERS:
        settings = spec.trigger(t)
        fields[f"{t}_enabled"] = settings.enabled
        fields[f"{t}_params"] = dict(settings.parameters)
        fields[f"{t}_details"] = settings.details
        fields[f"{t}_screenshot"] = settings.screenshot
        fields[f"{t}_portal_ids"] = settings.portal_ids
    return fields


def specs_of(rows: Iterable[RuleNotification]) -> list[WebNotificationSpec]:
    """``spec_of`` each row, in order."""
    return [spec_of(row) for row in rows]


def same_bindings(rows: Iterable[RuleNotification], specs: Sequence[WebNotificationSpec]) -> bool:
    """True when the rows hold exactly ``specs``, in order, field by field."""
    return specs_of(rows) == list(specs)
