"""The alert store: trigger snapshots from the outbox become database rows.

Idempotent by design: trigger records and history rows are keyed by the trigger's
deterministic event id, alerts by (rule, window key), so storing the same outbox
items twice (after a crash between commit and trim) changes nothing. The new records'
event ids are published to the trigger consumers (rules.contract.consumers) inside the
same transaction, so what a consumer writes (notification deliveries) commits with the
records or not at all: never a record the outbox would skip without its notifications.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any, overload

from celery import current_app
from django.db import models, transaction

from rules.alerts.file_log import write_alert_lines
from rules.columns import key_too_long, utf8_len
from rules.contract.consumers import publish_triggers
from rules.contract.triggers import (
    ALERT_HISTORY_ACTION,
    ALERT_LOG_ACTION,
    FLAP_ENDED,
    FLAP_ONGOING,
    FLAP_STARTED,
    REASON_STATE_LOST,
    TriggerFormatError,
    TriggerSnapshot,
    decode_trigger,
    encode_trigger,
)
from rules.engine.derived import INGEST_DERIVED_TASK
from rules.engine.status import CANCEL, OPEN
from rules.expressions.formatting import format_value, round_significant
from rules.faults import describe, is_transient
from rules.models import Alert, AlertHistory, RuleErrorRecord, TriggerRecord

log = logging.getLogger(__name__)

RULE_ERRORS_KEPT = 1000


@overload
def _dt(ms: int) -> datetime: ...
@overload
def _dt(ms: int | None) -> datetime | None: ...
def _dt(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, tz=UTC)


def _num(value: float | None) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def _tags_text(tags: dict[str, str]) -> str:
    return ";".join(f"{k}={v}" for k, v in sorted(tags.items()))


def _shown(value: float) -> str:
    return "NaN" if math.isnan(value) else round_significant(value)


def text_value(trigger: TriggerSnapshot) -> str:
    """Alert ``textValue`` (spec §8): series value at 5 s.d., message text, property tags."""
    if trigger.data_type == "message":
        return trigger.text or ""
    if trigger.data_type == "property":
        return _tags_text(trigger.tags)
    return _shown(trigger.value)


def history_text(trigger: TriggerSnapshot) -> str:
    """The default alert-history text (spec §8), used when no logging text renders;
    flap damping's start and end say so first."""
    text = _history_text(trigger)
    if trigger.flapping == FLAP_STARTED:
        return f"Flapping: {text}"
    if trigger.flapping == FLAP_ENDED:
        return f"Stable again after flapping: {text}"
    return text


def _history_text(trigger: TriggerSnapshot) -> str:
    where = f"{trigger.entity}, {trigger.metric}, {format_value(trigger.tags)}"
    if trigger.status == CANCEL and trigger.reason == REASON_STATE_LOST:
        return f"Cancel alert for {where}: window state lost, closed without cancelling samples"
    if trigger.status == CANCEL:
        return f"Cancel alert for {where}"
    word = "Open" if trigger.status == OPEN else "Repeat"
    return f"{word} alert for {where}. Value: {_shown(trigger.value)}"


def _alert_fields(stored: _Trigger, partition: int) -> dict[str, Any]:
    trigger, data = stored.snapshot, stored.data
    return {
        "partition": partition,
        "entity": trigger.entity or "",
        "metric": trigger.metric,
        "tags": trigger.tags,
        "severity": trigger.severity,
        "repeat_count": trigger.repeat_count,
        "value": _num(trigger.value),
        "open_value": _num(trigger.open_value),
        "text_value": text_value(trigger),
        "message": (trigger.text or "") if trigger.data_type == "message" else "",
        "open_date": _dt(trigger.open_time) or _dt(trigger.now_ms),
        "last_event_date": _dt(trigger.update_time or trigger.now_ms),
        "episode": trigger.episode or 0,
        "window": trigger.window,
        "expression": trigger.expression,
        "rule_filter": trigger.rule_filter,
        "flapping": trigger.flapping in (FLAP_STARTED, FLAP_ONGOING),
        "snapshot": {
            k: data[k]
            for k in ("statistics", "variables", "window_tags", "command_time", "open_time")
        },
    }


def _history(event_id: str, trigger: TriggerSnapshot) -> AlertHistory:
    status = trigger.status
    command_ms = trigger.command_time or trigger.now_ms
    open_ms = trigger.open_time
    return AlertHistory(
        event_id=event_id,
        date=_dt(command_ms - command_ms % 1000),
        entity=trigger.entity or "",
        metric=trigger.metric,
        tags=_tags_text(trigger.tags),
        type=status,
        value=_num(trigger.value),
        alert=trigger.alert_text or history_text(trigger),
        severity="UNDEFINED" if status == CANCEL else trigger.severity,
        rule=trigger.rule,
        rule_expression=trigger.expression,
        rule_filter=trigger.rule_filter,
        window=trigger.window,
        repeat_count=trigger.repeat_count,
        alert_duration=0 if status == OPEN or open_ms is None else trigger.now_ms - open_ms,
        alert_open_date=_dt(open_ms),
        received_date=_dt(trigger.received_time),
        flapping=trigger.flapping,
    )


def _max_length(model: type[models.Model], name: str) -> int:
    field = model._meta.get_field(name)
    assert isinstance(field, models.CharField)
    assert field.max_length is not None
    return field.max_length


# Trigger fields stored in character columns, with the narrowest column each goes to.
_TRIGGER_COLUMNS = {
    "rule": min(_max_length(m, "rule") for m in (Alert, AlertHistory, TriggerRecord)),
    "window_key": min(_max_length(m, "window_key") for m in (Alert, TriggerRecord)),
    "entity": min(_max_length(m, "entity") for m in (Alert, AlertHistory)),
    "metric": min(_max_length(m, "metric") for m in (Alert, AlertHistory)),
    "window": min(_max_length(m, "window") for m in (Alert, AlertHistory)),
    "severity": min(_max_length(m, "severity") for m in (Alert, AlertHistory)),
    "status": min(_max_length(TriggerRecord, "status"), _max_length(AlertHistory, "type")),
    "reason": _max_length(TriggerRecord, "reason"),
}
_ERROR_COLUMNS = {
    "rule": _max_length(RuleErrorRecord, "rule"),
    "window_key": _max_length(RuleErrorRecord, "window_key"),
}


@dataclass(frozen=True, slots=True)
class _Trigger:
    """An outbox trigger: its event id, the snapshot and the snapshot's encoded form."""

    event_id: str
    snapshot: TriggerSnapshot
    data: dict[str, Any]


# What the store writes: a trigger, or a rule error in its outbox form.
_Item = _Trigger | dict[str, Any]


def _unstorable(trigger: TriggerSnapshot) -> str | None:
    """Why a trigger does not fit the columns it is written to, or None. Checked before
    writing so that every database refuses the same triggers (SQLite would store them);
    the window key also in UTF-8 bytes, as PostgreSQL indexes it (rules.columns)."""
    for name, limit in _TRIGGER_COLUMNS.items():
        value = getattr(trigger, name) or ""
        if len(value) > limit:
            what = name.replace("_", " ")
            return f"its {what} is {len(value)} characters, the column holds {limit}"
    return key_too_long(utf8_len(trigger.window_key or ""))


def _as_rule_error(trigger: dict[str, Any], problem: str) -> dict[str, Any]:
    """A rule error (outbox form) reporting a trigger (encoded) that cannot be stored."""
    return {
        "time_ms": trigger.get("now_ms") or int(datetime.now(tz=UTC).timestamp() * 1000),
        "rule": str(trigger.get("rule") or ""),
        "error": f"{trigger.get('status')} trigger not stored: {problem}",
        "expression": str(trigger.get("expression") or ""),
        "command": None,
        "window_key": str(trigger.get("window_key") or ""),
    }


def _checked(partition: int, item: dict[str, Any]) -> _Item:
    """The outbox item as the store writes it: a readable trigger that fits its
    columns, else a rule error saying why not."""
    data = item.get("trigger")
    if data is None:
        return item
    try:
        snapshot = decode_trigger(data)
    except TriggerFormatError as exc:
        problem: str | None = f"its data cannot be read: {exc}"
    else:
        problem = _unstorable(snapshot)
    if problem is not None:
        log.warning("partition %d: rule %.200s: %s", partition, data.get("rule"), problem)
        return {"error": _as_rule_error(data, problem)}
    return _Trigger(item["id"], snapshot, encode_trigger(snapshot))


def store_items(partition: int, items: Iterable[dict[str, Any]]) -> list[str]:
    """Persist outbox items; returns the ids of new trigger records.

    The items are written in one transaction. One that the database cannot hold is
    reported as a rule error (and logged) in its place, so that one poisoned trigger
    never blocks the outbox: unreadable data or a field longer than its column is
    found before writing; anything else the database refuses, by splitting the batch
    in halves until the item at fault stands alone. A transient failure (the database
    unreachable or busy, :mod:`rules.faults`) raises, and the outbox keeps every
    item for the next drain (the writes are idempotent).
    """
    return _store_splitting(partition, [_checked(partition, item) for item in items])


def _store_splitting(partition: int, items: list[_Item]) -> list[str]:
    try:
        return _store_together(partition, items)
    except Exception as exc:
        if is_transient(exc) or not items:
            raise
        if len(items) > 1:
            middle = len(items) // 2
            left = _store_splitting(partition, items[:middle])
            return left + _store_splitting(partition, items[middle:])
        item, reason = items[0], describe(exc)
        log.warning("partition %d: the database refused an outbox item: %s", partition, reason)
        if not isinstance(item, _Trigger):
            return []  # a rule error the database refuses is only logged
        problem = f"the database refused it: {reason}"
        return _store_splitting(partition, [{"error": _as_rule_error(item.data, problem)}])


def _store_together(partition: int, items: list[_Item]) -> list[str]:
    """Persist ``items`` in one transaction; returns the ids of new trigger records."""
    triggers = [item for item in items if isinstance(item, _Trigger)]
    errors = [item["error"] for item in items if not isinstance(item, _Trigger)]
    new_ids: list[str] = []
    with transaction.atomic():
        if triggers:
            ids = [t.event_id for t in triggers]
            known = set(
                TriggerRecord.objects.filter(event_id__in=ids).values_list("event_id", flat=True)
            )
            fresh = [t for t in triggers if t.event_id not in known]
            TriggerRecord.objects.bulk_create(
                [
                    TriggerRecord(
                        event_id=t.event_id, rule=t.snapshot.rule,
                        window_key=t.snapshot.window_key, status=t.snapshot.status,
                        reason=t.snapshot.reason, data=t.data,
                    )
                    for t in fresh
                ]
            )  # fmt: skip
            new_ids = [t.event_id for t in fresh]
            _apply_alerts(fresh, partition)
            history = [
                _history(t.event_id, t.snapshot)
                for t in fresh
                if ALERT_HISTORY_ACTION in t.snapshot.fired()
            ]
            AlertHistory.objects.bulk_create(history)
            logged = [
                (t.snapshot.alert_logger, t.snapshot.alert_text or history_text(t.snapshot))
                for t in fresh
                if t.snapshot.alert_logger and ALERT_LOG_ACTION in t.snapshot.fired()
            ]
            if logged:
                transaction.on_commit(partial(write_alert_lines, logged))
            # In the same transaction: a worker killed after the trigger records
            # commit would otherwise leave them without deliveries, and the outbox,
            # stored again, skips the records it finds.
            publish_triggers(new_ids)
            derived = [
                (t.snapshot.rule, t.snapshot.derived_commands, t.snapshot.derived_depth)
                for t in fresh
                if t.snapshot.derived_commands
            ]
            if derived:
                transaction.on_commit(partial(send_derived_commands, derived))
        if errors:
            _store_errors(errors)
    return new_ids


def send_derived_commands(derived: list[tuple[str, list[str], int]]) -> None:
    """Hand the derived commands of stored triggers to ingest (a task per trigger)."""
    for rule, lines, depth in derived:
        current_app.send_task(INGEST_DERIVED_TASK, args=[rule, lines, depth], ignore_result=True)


# Window keys per query: well under every database's limit of query parameters.
_KEYS_PER_QUERY = 500

_Window = tuple[str, str]  # (rule, window key): an alert's identity


def _windows_by_rule(windows: Iterable[_Window]) -> dict[str, list[str]]:
    keys: dict[str, list[str]] = {}
    for rule, window_key in windows:
        keys.setdefault(rule, []).append(window_key)
    return keys


def _matching(windows: Iterable[_Window]) -> Iterable[models.QuerySet[Alert]]:
    """Querysets that together select the alerts of ``windows``."""
    for rule, keys in _windows_by_rule(windows).items():
        for start in range(0, len(keys), _KEYS_PER_QUERY):
            yield Alert.objects.filter(
                rule=rule, window_key__in=keys[start : start + _KEYS_PER_QUERY]
            )


@dataclass(frozen=True, slots=True)
class _AlertChange:
    """What a window's triggers of one store call do to its alert row: the newest
    trigger gives the fields; ``renewed``: a CANCEL came before it, so the row is made
    anew as after a delete; ``reopened``: an OPEN came since, so it is unacknowledged."""

    last: _Trigger
    renewed: bool
    reopened: bool


def _apply_alerts(triggers: list[_Trigger], partition: int) -> None:
    """Bring the open alerts up to date with ``triggers`` (in their order) in a few
    queries, however many there are: a CANCEL deletes a window's alert, an OPEN or a
    REPEAT creates or updates it (an OPEN also clears its acknowledgement). The rows
    end as applying the triggers one by one would leave them."""
    by_window: dict[_Window, list[_Trigger]] = {}
    for trigger in triggers:
        by_window.setdefault((trigger.snapshot.rule, trigger.snapshot.window_key), []).append(
            trigger
        )
    deleted: list[_Window] = []
    changes: dict[_Window, _AlertChange] = {}
    for window, sequence in by_window.items():
        statuses = [t.snapshot.status for t in sequence]
        if statuses[-1] == CANCEL:
            deleted.append(window)
            continue
        renewed = CANCEL in statuses
        if renewed:
            deleted.append(window)
            sequence = sequence[len(statuses) - statuses[::-1].index(CANCEL) :]
        # A new episode; the "stable again" message of an open window is not one.
        reopened = any(
            t.snapshot.status == OPEN and t.snapshot.flapping != FLAP_ENDED for t in sequence
        )
        changes[window] = _AlertChange(sequence[-1], renewed, reopened)
    for queryset in _matching(deleted):
        queryset.delete()
    existing: dict[_Window, int] = {}
    for queryset in _matching(w for w, change in changes.items() if not change.renewed):
        for rule, window_key, pk in queryset.values_list("rule", "window_key", "id"):
            existing[(rule, window_key)] = pk
    created: list[Alert] = []
    updated: dict[bool, list[Alert]] = {False: [], True: []}
    names: list[str] = []
    for (rule, window_key), change in changes.items():
        fields = _alert_fields(change.last, partition)
        names = list(fields)
        found = existing.get((rule, window_key))
        if found is None:
            created.append(Alert(rule=rule, window_key=window_key, **fields))
        else:
            updated[change.reopened].append(Alert(id=found, **fields))
    Alert.objects.bulk_create(created)
    for reopened, alerts in updated.items():
        if alerts:
            Alert.objects.bulk_update(alerts, [*names, "acknowledged"] if reopened else names)


def _store_errors(errors: list[dict[str, Any]]) -> None:
    RuleErrorRecord.objects.bulk_create(
        [
            RuleErrorRecord(
                time=_dt(e["time_ms"]),
                rule=e["rule"][: _ERROR_COLUMNS["rule"]],
                error=e["error"],
                expression=e.get("expression") or "",
                command=json.dumps(e["command"]) if e.get("command") else "",
                window_key=(e.get("window_key") or "")[: _ERROR_COLUMNS["window_key"]],
            )
            for e in errors
        ]
    )
    trim_rule_errors()


def record_rule_error(rule: str, error: str, expression: str = "", window_key: str = "") -> None:
    """A rule error found outside an evaluation (a rule that cannot be installed)."""
    RuleErrorRecord.objects.create(
        time=datetime.now(tz=UTC), rule=rule, error=error, expression=expression,
        window_key=window_key,
    )  # fmt: skip
    trim_rule_errors()


def trim_rule_errors() -> None:
    """Keep the newest RULE_ERRORS_KEPT rows (checked cheaply, trimmed with some slack)."""
    if RuleErrorRecord.objects.count() <= RULE_ERRORS_KEPT + RULE_ERRORS_KEPT // 10:
        return
    keep = list(
        RuleErrorRecord.objects.order_by("-time", "-id").values_list("id", flat=True)[
            :RULE_ERRORS_KEPT
        ]
    )
    RuleErrorRecord.objects.exclude(id__in=keep).delete()
