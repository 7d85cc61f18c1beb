"""Rule model rows → the engine's ``RuleDefinition`` (plain data, no ORM past this point)."""

from __future__ import annotations

from collections.abc import Iterable

from rules.engine.actions import ActionSettings, RepeatStrategy
from rules.engine.evaluator import RuleDefinition
from rules.engine.grouping import Grouping
from rules.engine.windows import UNIT_MS
from rules.models import Rule

# The logging action (Logging tab): writes alert history records (spec §8).
ALERT_HISTORY = "alert-history"


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
        return ActionSettings(ALERT_HISTORY, on_open=True, on_repeat=False, on_cancel=True)
    if not rule.log_to_alert_history:
        return None
    return ActionSettings(
        ALERT_HISTORY,
        on_open=rule.alert_open_message_enabled,
        on_repeat=rule.alert_message_enabled,
        on_cancel=rule.alert_cancellation_message_enabled,
        strategy=strategy_of(rule.alert_strategy),
    )


def time_filter_ms(rule: Rule) -> int:
    if rule.time_filter_count <= 0:
        return 0
    return rule.time_filter_count * UNIT_MS[rule.time_filter_unit.lower()]


def definition_of(rule: Rule, extra_actions: Iterable[ActionSettings] = ()) -> RuleDefinition:
    actions = [a for a in (history_action(rule),) if a is not None]
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
