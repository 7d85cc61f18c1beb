"""Rule model rows → the engine's ``RuleDefinition`` (plain data, no ORM past this point)."""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree

from rules.contract.triggers import ALERT_HISTORY_ACTION, WEB_ACTION_PREFIX
from rules.engine.actions import ActionSettings, RepeatStrategy
from rules.engine.evaluator import RuleDefinition
from rules.engine.grouping import Grouping
from rules.engine.windows import UNIT_MS
from rules.models import Rule
from rules.rulesxml.document import parse_rules_document


def strategy_of(data: dict | None) -> RepeatStrategy:
    data = data or {}
    return RepeatStrategy.parse(
        data.get("type") or "ALL", int(data.get("count") or 1), data.get("unit") or "MINUTE"
    )


def history_action(rule: Rule) -> ActionSettings | None:
    """Alert history logging as an action with its own triggers and strategy.

    ``logToAlertHistory`` absent (pre-2018 files) records OPEN and CANCEL always; off
    records nothing; on records the statuses whose logging trigger is enabled.
    """
    if rule.log_to_alert_history is None:
        return ActionSettings(ALERT_HISTORY_ACTION, on_open=True, on_repeat=False, on_cancel=True)
    if not rule.log_to_alert_history:
        return None
    return ActionSettings(
        ALERT_HISTORY_ACTION,
        on_open=rule.alert_open_message_enabled,
        on_repeat=rule.alert_message_enabled,
        on_cancel=rule.alert_cancellation_message_enabled,
        strategy=strategy_of(rule.alert_strategy),
    )


def time_filter_ms(rule: Rule) -> int:
    if rule.time_filter_count <= 0:
        return 0
    return rule.time_filter_count * UNIT_MS[rule.time_filter_unit.lower()]


def _child(element: etree._Element, tag: str) -> str:
    found = element.find(tag)
    return (found.text or "").strip() if found is not None else ""


def _flag(element: etree._Element, tag: str) -> bool:
    return _child(element, tag).lower() == "true"


def web_actions(rule: Rule) -> list[ActionSettings]:
    """Action settings of the rule's web-notification bindings (spec §2.3).

    Read from the ``<webNotification>`` elements the rule keeps (the notifications app
    keeps them in step with its bindings), so the engine needs nothing from that app.
    Disabled bindings and bindings used in overrides only (no overrides run yet,
    spec §3.7) get no action.
    """
    actions = []
    for raw in rule.web_notifications_xml:
        element = parse_rules_document(raw.encode("utf-8"))
        if _flag(element, "disabled") or _flag(element, "use-in-threshold-only"):
            continue
        name = _child(element, "name")
        if not name:
            continue
        delay_ms = 0
        delay = element.find("first-delay")
        if delay is not None:
            count = int(_child(delay, "intervalCount") or 0)
            unit = (_child(delay, "intervalUnit") or "SECOND").lower()
            delay_ms = count * UNIT_MS.get(unit, 1000)
        repeat = element.find("repeat-interval")
        strategy = (
            strategy_of(
                {
                    "type": _child(repeat, "type"),
                    "count": _child(repeat, "intervalCount") or 1,
                    "unit": _child(repeat, "intervalUnit"),
                }
            )
            if repeat is not None
            else RepeatStrategy()
        )
        actions.append(
            ActionSettings(
                WEB_ACTION_PREFIX + name,
                on_open=_flag(element, "first-enabled"),
                on_repeat=_flag(element, "repeat-enabled"),
                on_cancel=_flag(element, "cancel-enabled"),
                strategy=strategy,
                delay_ms=delay_ms,
            )
        )
    return actions


def definition_of(rule: Rule, extra_actions: Iterable[ActionSettings] = ()) -> RuleDefinition:
    actions = [a for a in (history_action(rule),) if a is not None]
    actions.extend(web_actions(rule))
    actions.extend(extra_actions)
    return RuleDefinition(
        name=rule.name,
        metric=rule.metric,
        expression=rule.expression,
        window=rule.window,
        type=rule.type or None,
        source=rule.source or None,
        entity_filter=rule.entity_filter,
        filter=rule.filter,
        grouping=Grouping(
            rule.tags_grouping_strategy, tuple(rule.tags), rule.disable_entity_grouping
        ),
        variables=tuple((v["name"], v["expression"]) for v in rule.user_expressions),
        severity=rule.severity,
        time_filter_ms=time_filter_ms(rule),
        discard_previous_values=rule.discard_previous_values,
        check_on_exit=rule.leaving_events,
        actions=tuple(actions),
        enabled=rule.enabled,
    )


def load_definitions() -> list[RuleDefinition]:
    """Every enabled rule, as the engine runs it."""
    return [definition_of(rule) for rule in Rule.objects.filter(enabled=True)]
