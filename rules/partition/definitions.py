"""Rule model rows → the engine's ``RuleDefinition`` (plain data, no ORM past this point)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from rules.contract.bindings import WebNotificationError, WebNotificationSpec
from rules.contract.email_bindings import EmailNotificationError, EmailNotificationSpec
from rules.contract.triggers import (
    ALERT_HISTORY_ACTION,
    ALERT_LOG_ACTION,
    DERIVED_ACTION,
    EMAIL_ACTION_PREFIX,
    WEB_ACTION_PREFIX,
)
from rules.engine.actions import ActionSettings, RepeatStrategy
from rules.engine.active_hours import ActiveHours
from rules.engine.definition import RuleDefinition
from rules.engine.flapping import FlapSettings
from rules.engine.grouping import Grouping
from rules.engine.overrides import OverrideRow
from rules.engine.windows import UNIT_MS
from rules.models import Rule
from rules.rulesxml.date_filter import read_date_filter
from rules.rulesxml.email_notifications import read_email_notification
from rules.rulesxml.overrides import read_rule_table
from rules.rulesxml.web_notifications import read_web_notification

log = logging.getLogger(__name__)


def strategy_of(data: dict[str, Any] | None) -> RepeatStrategy:
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
    return _logging_action(ALERT_HISTORY_ACTION, rule) if rule.log_to_alert_history else None


def file_log_action(rule: Rule) -> ActionSettings | None:
    """The file log of ``alertLoggerName``: the statuses whose logging trigger is on, at
    the logging strategy (the same triggers as alert history, without its switch)."""
    return _logging_action(ALERT_LOG_ACTION, rule) if rule.alert_logger_name.strip() else None


def _logging_action(name: str, rule: Rule) -> ActionSettings:
    """Action ``name`` on the rule's logging triggers, at its logging strategy."""
    return ActionSettings(
        name,
        on_open=rule.alert_open_message_enabled,
        on_repeat=rule.alert_message_enabled,
        on_cancel=rule.alert_cancellation_message_enabled,
        strategy=strategy_of(rule.alert_strategy),
    )


def alert_texts_of(rule: Rule) -> tuple[str, str, str]:
    """The Logging-tab templates for (OPEN, REPEAT, CANCEL), "Same as On Open" applied."""
    opened = rule.alert_open_message
    return (
        opened,
        opened if rule.alert_message_as_open else rule.alert_message,
        opened if rule.alert_cancellation_message_as_open else rule.alert_cancellation_message,
    )


def time_filter_ms(rule: Rule) -> int:
    if rule.time_filter_count <= 0:
        return 0
    return rule.time_filter_count * UNIT_MS[rule.time_filter_unit.lower()]


def flap_of(rule: Rule) -> FlapSettings | None:
    """The rule's flap damping, None when off (or stored out of range: the editor and
    import refuse such values)."""
    if not rule.flap_damping:
        return None
    try:
        period_ms = rule.flap_period_count * UNIT_MS[rule.flap_period_unit.lower()]
        return FlapSettings(rule.flap_changes, period_ms)
    except (KeyError, ValueError):
        log.warning("rule %s: flap damping settings out of range, damping off", rule.name)
        return None


def _action(
    name: str, triggers: tuple[bool, ...], spec: WebNotificationSpec | EmailNotificationSpec
) -> ActionSettings:
    """The action of one binding: ``triggers`` (OPEN, REPEAT, CANCEL on), its repeat
    strategy, its delay on OPEN and whether it runs for override rows only (§3.7)."""
    delay, repeat = spec.open_delay, spec.repeat_interval
    on_open, on_repeat, on_cancel = triggers
    return ActionSettings(
        name,
        on_open=on_open,
        on_repeat=on_repeat,
        on_cancel=on_cancel,
        strategy=RepeatStrategy.parse(repeat.type, repeat.count, repeat.unit),
        delay_ms=delay.count * UNIT_MS.get(delay.unit.lower(), 1000),
        overrides_only=spec.use_in_threshold_only,
    )


def web_actions(rule: Rule) -> list[ActionSettings]:
    """Action settings of the rule's web-notification bindings (spec §2.3).

    Read from the ``<webNotification>`` elements the rule keeps (the notifications app
    keeps them in step with its bindings), so the engine needs nothing from that app.
    Disabled bindings get no action; bindings used in overrides only run only for the
    override rows that name them (spec §3.7); an element that cannot be read gets no
    action either (the rule save that stored it reported it).
    """
    actions = []
    for index, raw in enumerate(rule.web_notifications_xml):
        try:
            spec = read_web_notification(raw, index=index)
        except WebNotificationError as exc:
            log.warning("rule %s: web notification #%d not run: %s", rule.name, index + 1, exc)
            continue
        if spec.enabled:
            triggers = (spec.open.enabled, spec.repeat.enabled, spec.cancel.enabled)
            actions.append(_action(WEB_ACTION_PREFIX + spec.name, triggers, spec))
    return actions


def email_actions(rule: Rule) -> list[ActionSettings]:
    """Action settings of the rule's email bindings (spec §2.4).

    A trigger is on when its subject is not empty (ATSD's element has no
    ``*-enabled``); disabled bindings and elements that cannot be read get no action,
    bindings used in overrides only run for the rows that name them, as for web
    notifications.
    """
    actions = []
    for index, raw in enumerate(rule.email_notifications_xml or []):
        try:
            spec = read_email_notification(raw, index=index)
        except EmailNotificationError as exc:
            log.warning("rule %s: email notification #%d not run: %s", rule.name, index + 1, exc)
            continue
        if spec.enabled:
            triggers = tuple(spec.enabled_on(t) for t in ("open", "repeat", "cancel"))
            actions.append(_action(EMAIL_ACTION_PREFIX + spec.name, triggers, spec))
    return actions


def active_hours_of(rule: Rule) -> ActiveHours | None:
    """The rule's dateFilter schedule; one that cannot be read (the import noted it)
    leaves the rule active at all times."""
    try:
        return read_date_filter(rule.date_filter_xml)
    except ValueError:
        return None


def definition_of(rule: Rule, extra_actions: Iterable[ActionSettings] = ()) -> RuleDefinition:
    actions = [a for a in (history_action(rule), file_log_action(rule)) if a is not None]
    actions.extend(web_actions(rule))
    actions.extend(email_actions(rule))
    if rule.derived_command_enabled and rule.derived_command.strip():
        actions.append(
            ActionSettings(
                DERIVED_ACTION,
                on_open=True,
                on_repeat=True,
                on_cancel=False,
                strategy=strategy_of(rule.derived_command_strategy),
            )
        )
    actions.extend(extra_actions)
    overrides: tuple[OverrideRow, ...] = ()
    overrides_error = ""
    try:
        overrides = read_rule_table(rule.rule_table_xml)
    except ValueError as exc:  # stored outside import and the editor, which check it
        overrides_error = f"overrides table: {exc}"
    logs_text = rule.log_to_alert_history or bool(rule.alert_logger_name.strip())
    return RuleDefinition(
        name=rule.name,
        metric=rule.metric,
        expression=rule.expression,
        window=rule.window,
        type=rule.type or None,
        source=rule.source or None,
        entity_filter=rule.entity_filter,
        group_filter=rule.group_filter,
        filter=rule.filter,
        grouping=Grouping(
            rule.tags_grouping_strategy, tuple(rule.tags), rule.disable_entity_grouping
        ),
        variables=tuple((v["name"], v["expression"]) for v in rule.user_expressions),
        severity=rule.severity,
        time_filter_ms=time_filter_ms(rule),
        discard_previous_values=rule.discard_previous_values,
        check_on_exit=rule.leaving_events,
        overrides=overrides,
        overrides_error=overrides_error,
        instant_action=rule.instant_action,
        active_hours=active_hours_of(rule),
        derived_command=rule.derived_command if rule.derived_command_enabled else "",
        alert_texts=alert_texts_of(rule) if logs_text else ("", "", ""),
        alert_logger=rule.alert_logger_name.strip(),
        load_history=rule.load_history,
        actions=tuple(actions),
        enabled=rule.enabled,
        flap=flap_of(rule),
    )


def load_definitions() -> list[RuleDefinition]:
    """Every enabled rule, as the engine runs it."""
    return [definition_of(rule) for rule in Rule.objects.filter(enabled=True)]
