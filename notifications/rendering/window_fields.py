"""Every window field of a trigger as one JSON object: the WEBHOOK payload (spec §7.5).

The object holds each field of spec §5.2 under its placeholder name, valued as a
placeholder would print it (dates, durations, links as URLs, maps as objects), with
``entity`` and ``metric`` as objects of their metadata (``entity.id``, ``entity.label``,
``entity.tags``, ``metric.dataType``, ``metric.tags``, …) and the rule's variables
under their names. ``alert_duration`` is ``00:00:00:00`` at OPEN (spec Appendix A.10).
Nulls are empty strings, as in texts. :func:`flat_fields` is the same object as
``name=value`` pairs for a form body (nested keys joined with ``.``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from typing import Any

from notifications.rendering.info import RenderInfo
from notifications.rendering.links import LinkValue
from notifications.rendering.scope import FIELD_NAMES, TriggerScope
from rules.contract.triggers import TriggerSnapshot
from rules.expressions.formatting import format_value
from rules.expressions.values import EntityValue, MetricValue

ZERO_DURATION = "00:00:00:00"


def _json_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else format_value(value)
    if isinstance(value, LinkValue):
        return value.url
    if isinstance(value, Mapping):
        return {str(k): _json_value(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    return format_value(value)


def _named_object(value: EntityValue | MetricValue | None) -> dict[str, Any]:
    if value is None:
        return {}
    fields = {str(k): _json_value(v) for k, v in sorted(value.fields.items())}
    return {
        **fields,
        "id": value.name,
        "name": value.name,
        "label": value.label or "",
        "tags": _json_value(value.tags),
    }


def window_fields(trigger: TriggerSnapshot, info: RenderInfo, *, now_ms: int) -> dict[str, Any]:
    """The WEBHOOK object of ``trigger`` (see the module docstring), keys sorted."""
    scope = TriggerScope(trigger, info, now_ms=now_ms)
    fields: dict[str, Any] = {name: _json_value(scope.lookup(name)) for name in FIELD_NAMES}
    fields.update({name: _json_value(v) for name, v in trigger.variables.items()})
    fields["entity"] = _named_object(scope.entity_value())
    fields["metric"] = _named_object(scope.metric_value())
    fields["metric"].setdefault("dataType", "")
    if not fields["alert_duration"]:
        fields["alert_duration"] = ZERO_DURATION
    return dict(sorted(fields.items()))


def flat_fields(document: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """``(name, text)`` pairs of a JSON object: nested objects as ``a.b`` names, lists and
    scalars as their JSON text (strings as they are)."""
    for key, value in document.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            yield from flat_fields(value, name + ".")
        elif isinstance(value, str):
            yield name, value
        else:
            yield name, json.dumps(value, ensure_ascii=False)
