"""Open alerts whose windows a restarted partition did not get back: closed, never deleted.

A partition rebuilds its windows from its snapshot and journal in Redis
(rules.partition.journal). An open alert of the partition whose window is not
OPEN/REPEAT after that is closed with a CANCEL trigger written to the partition's
outbox, so it takes the path of every CANCEL: the alert store deletes the alert and
writes its history row, notifications send the On Cancel messages. Two causes:

* **The rule went away or changed** (deleted, disabled, or its filters, grouping,
  window or condition edited) while no worker ran: reason ``rule_dropped``, exactly
  as when a running partition drops the rule (§3.9): the CANCEL actions fire only
  with ``CANCEL_ON_RULE_CHANGE``.
* **The window's state was lost** (Redis lost the snapshot, the journal or an inbox
  batch): reason ``state_lost``. The rule's On Cancel actions fire as for any CANCEL,
  its history text says why, and a rule error records the cause: the room and the
  operator learn that the alert ended without its cancelling samples.

The CANCEL starts from the window's newest trigger record (its fields, statistics and
samples as last seen), or from the alert row when retention removed the records.
Its event id is derived from the window and episode, so a crash between the outbox
write and the store writes it once.
"""

from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import replace

from rules.contract.triggers import (
    REASON_EVALUATION,
    REASON_RULE_DROPPED,
    REASON_STATE_LOST,
    ActionOutcome,
    TriggerSnapshot,
    decode_trigger,
)
from rules.engine import actions as act
from rules.engine.engine import Engine
from rules.engine.rule_errors import RuleError
from rules.engine.rule_runtime import RuleRuntime
from rules.engine.status import CANCEL, OPEN, REPEAT, is_active
from rules.models import Alert, TriggerRecord
from rules.partition.journal import Applied, Partition, Recovery, now_ms

log = logging.getLogger(__name__)


def active_windows(engine: Engine) -> set[tuple[str, str]]:
    """(rule, window key) of every OPEN/REPEAT window the engine holds."""
    return {
        (name, wr.display)
        for name, runtime in engine.rules.items()
        for wr in runtime.windows.values()
        if is_active(wr.state.status)
    }


def loss_cause(recovery: Recovery) -> str:
    """Why a window that had an open alert is not there, as far as the recovery tells."""
    if recovery.gap is not None:
        return (
            f"the partition's inbox lost journaled batch {recovery.gap}, so the journal "
            f"could not be replayed past it"
        )
    if not recovery.snapshot and not recovery.replayed:
        return "the partition's snapshot and journal were missing from Redis"
    return "the window was in neither the partition's snapshot nor its journal in Redis"


def close_vanished_alerts(partition: Partition, recovery: Recovery) -> int:
    """Close the partition's open alerts whose windows did not come back; returns how many."""
    active = active_windows(partition.engine)
    stale = [
        alert
        for alert in Alert.objects.filter(partition=partition.number).order_by("id")
        if (alert.rule, alert.window_key) not in active
    ]
    if not stale:
        return 0
    now = now_ms()
    cause = loss_cause(recovery)
    triggers: list[tuple[str, TriggerSnapshot]] = []
    errors: list[RuleError] = []
    lost = 0
    for alert in stale:
        runtime = partition.engine.rules.get(alert.rule)
        reason = (
            REASON_RULE_DROPPED if _rule_changed(alert, runtime, recovery) else REASON_STATE_LOST
        )
        trigger = closing_trigger(alert, runtime, reason, now)
        triggers.append((event_id(partition.number, alert), trigger))
        if reason == REASON_STATE_LOST:
            lost += 1
            errors.append(
                RuleError(
                    now, alert.rule,
                    f"window state lost: {cause}; its open alert was closed with a CANCEL",
                    alert.expression, None, alert.window_key,
                )
            )  # fmt: skip
    partition.emit(Applied(triggers, errors))
    if lost:
        log.warning(
            "partition %d: %d open alerts lost their windows (%s): closed with CANCEL",
            partition.number, lost, cause,
        )  # fmt: skip
    if len(stale) > lost:
        log.info(
            "partition %d: %d open alerts of rules changed or removed while stopped: closed",
            partition.number, len(stale) - lost,
        )  # fmt: skip
    return len(stale)


def _rule_changed(alert: Alert, runtime: RuleRuntime | None, recovery: Recovery) -> bool:
    if runtime is None:
        return True
    snapshot_fingerprint = recovery.fingerprints.get(alert.rule)
    if snapshot_fingerprint is not None and snapshot_fingerprint != runtime.fingerprint:
        return True
    # The alert row keeps what its last trigger was evaluated with.
    now_evaluated = (runtime.rule.expression, runtime.spec.text, runtime.rule.filter)
    return (alert.expression, alert.window, alert.rule_filter) != now_evaluated


def event_id(partition: int, alert: Alert) -> str:
    digest = hashlib.sha1(
        f"{alert.rule}\x1f{alert.window_key}\x1f{alert.episode}".encode(), usedforsecurity=False
    ).hexdigest()[:24]
    return f"{partition}:lost:{digest}"


def closing_trigger(
    alert: Alert, runtime: RuleRuntime | None, reason: str, now: int
) -> TriggerSnapshot:
    """The CANCEL of ``alert``'s window with ``reason``, its actions decided."""
    last = (
        TriggerRecord.objects.filter(rule=alert.rule, window_key=alert.window_key)
        .order_by("-id")
        .values_list("data", flat=True)
        .first()
    )
    seen = decode_trigger(last) if last else None
    if seen is None or seen.episode != alert.episode:
        seen = _from_alert(alert, runtime.kind if runtime is not None else "series")
    actions: tuple[ActionOutcome, ...] = ()
    if runtime is not None and (
        reason == REASON_STATE_LOST or runtime.engine.cancel_on_rule_change
    ):
        actions = _cancel_outcomes(alert, runtime, now)
    return replace(
        seen,
        reason=reason,
        status=CANCEL,
        before_status=seen.status,
        now_ms=now,
        cancel_time=now,
        change_time=now,
        is_exiting=False,
        delay_expired=False,
        actions=actions,
    )


def _cancel_outcomes(alert: Alert, runtime: RuleRuntime, now: int) -> tuple[ActionOutcome, ...]:
    """Each action's decision for the CANCEL, its state rebuilt from the episode's OPEN
    records (a delayed action cancels only what it opened, §3.8)."""
    opened: set[str] = set()
    for data in TriggerRecord.objects.filter(
        rule=alert.rule, window_key=alert.window_key, status=OPEN
    ).values_list("data", flat=True):
        record = decode_trigger(data)
        if record.episode == alert.episode:
            opened.update(record.fired())
    outcomes = []
    for action in runtime.rule.actions:
        state = act.ActionState(episode=alert.episode, open_sent=action.name in opened)
        decided = act.decide(action, state, CANCEL, alert.repeat_count, now, alert.episode)
        outcomes.append(ActionOutcome(action.name, decided.decision.value))
    return tuple(outcomes)


def _number(value: float | None) -> float:
    return math.nan if value is None else value


def _from_alert(alert: Alert, data_type: str) -> TriggerSnapshot:
    """The window as its alert row alone tells it (its trigger records have expired)."""
    snapshot = alert.snapshot or {}
    window_tags = snapshot.get("window_tags") or {}
    open_ms = int(alert.open_date.timestamp() * 1000)
    last_ms = int(alert.last_event_date.timestamp() * 1000)
    return TriggerSnapshot(
        rule=alert.rule,
        reason=REASON_EVALUATION,
        window_key=alert.window_key,
        key=[data_type, alert.metric, alert.entity, [[k, v] for k, v in window_tags.items()]],
        status=OPEN if alert.repeat_count == 0 else REPEAT,
        before_status=CANCEL if alert.repeat_count == 0 else OPEN,
        repeat_count=alert.repeat_count,
        episode=alert.episode,
        severity=alert.severity,
        now_ms=last_ms,
        open_time=snapshot.get("open_time", open_ms),
        repeat_time=last_ms,
        cancel_time=None,
        change_time=None,
        add_time=last_ms,
        previous_add_time=None,
        remove_time=None,
        update_time=last_ms,
        command_time=snapshot.get("command_time"),
        command_first_time=None,
        command_last_time=None,
        received_time=None,
        data_type=data_type,
        metric=alert.metric,
        entity=alert.entity,
        window_entity=alert.entity,
        window_tags=window_tags,
        tags=alert.tags,
        value=_number(alert.value),
        open_value=_number(alert.open_value),
        text=alert.message or None,
        line_values={},
        message_type=None,
        message_source=None,
        message_severity=None,
        keys={},
        is_exiting=False,
        delay_expired=False,
        window=alert.window,
        expression=alert.expression,
        rule_filter=alert.rule_filter,
        statistics=snapshot.get("statistics") or {},
        times=[],
        values=[],
        variables=snapshot.get("variables") or {},
        actions=(),
    )
