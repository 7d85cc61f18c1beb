"""The ``alert`` text of an alert-history record (spec §8).

The rule's Logging-tab text is rendered like a notification text, but as plain
text with full-precision numbers (the details rounding of §6 applies to
notifications only, also inside ``detailsTable()``). Without a text, ATSD's
default is used: ``Open alert for {entity}, {metric}, {tags}. Value: {value}``
with the value at 5 significant digits.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING

from notifications.rendering.info import RenderInfo
from notifications.rendering.scope import TriggerScope
from notifications.rendering.template import RenderResult, render
from rules.expressions.formatting import format_value, round_significant

if TYPE_CHECKING:
    from rules.contract.triggers import TriggerSnapshot

_VERBS = {"OPEN": "Open", "REPEAT": "Repeat", "CANCEL": "Cancel"}


def default_history_text(trigger: TriggerSnapshot, map_format: str = "legacy") -> str:
    """``Open|Repeat alert for {entity}, {metric}, {tags}. Value: {v}`` or
    ``Cancel alert for {entity}, {metric}, {tags}`` (tags in the §5.3 map form)."""
    verb = _VERBS.get(trigger.status, trigger.status.capitalize())
    tags = format_value(dict(trigger.tags), map_format)
    text = f"{verb} alert for {trigger.entity or ''}, {trigger.metric}, {tags}"
    if trigger.status == "CANCEL":
        return text
    value = trigger.value
    shown = "NaN" if isinstance(value, float) and math.isnan(value) else round_significant(value)
    return f"{text}. Value: {shown}"


def history_alert_text(
    trigger: TriggerSnapshot,
    info: RenderInfo | None,
    template: str | None,
    *,
    now_ms: int,
) -> RenderResult:
    """The history ``alert`` text for ``trigger``: ``template`` rendered (plain text, no
    inline links, full precision in ``detailsTable()``), or the default text when the
    template is blank. Errors are returned for the Rule Errors page; a cancelled
    render gives the default text, since history is not a notification to cancel."""
    info = replace(info or RenderInfo(), link_style="none")
    if template is None or not template.strip():
        return RenderResult(default_history_text(trigger, info.map_format))
    scope = TriggerScope(trigger, info, now_ms=now_ms, round_numbers=False)
    result = render(template, scope, html_escape=False)
    if result.cancelled:
        return RenderResult(default_history_text(trigger, info.map_format), result.errors)
    return result
