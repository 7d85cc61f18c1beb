"""The alert store: trigger events from the outbox become database rows.

Idempotent by design: trigger records and history rows are keyed by the trigger's
deterministic event id, alerts by (rule, window key), so storing the same outbox
items twice (after a crash between commit and trim) changes nothing. A new trigger
record's notification deliveries are written in its transaction: a crash leaves both
or neither, never a record the outbox would skip without its notifications.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, overload

from django.db import models, transaction

from rules.expressions.formatting import format_value, round_significant
from rules.ingest.limits import key_too_long, utf8_len
from rules.models import Alert, AlertHistory, RuleErrorRecord, TriggerRecord
from rules.runtime.definitions import ALERT_HISTORY
from rules.runtime.faults import describe, is_transient
from rules.runtime.lost_windows import STATE_LOST

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


def text_value(trigger: dict) -> str:
    """Alert ``textValue`` (spec §8): series value at 5 s.d., message text, property tags."""
    if trigger["data_type"] == "message":
        return trigger.get("text") or ""
    if trigger["data_type"] == "property":
        return ";".join(f"{k}={v}" for k, v in sorted(trigger["tags"].items()))
    value = trigger["value"]
    return "NaN" if value is None else round_significant(value)


def history_text(trigger: dict) -> str:
    """The default alert-history text (spec §8), used when no logging text renders."""
    tags = format_value(trigger["tags"])
    where = f"{trigger['entity']}, {trigger['metric']}, {tags}"
    status = trigger["status"]
    if status == "CANCEL" and trigger.get("reason") == STATE_LOST:
        return f"Cancel alert for {where}: window state lost, closed without cancelling samples"
    if status == "CANCEL":
        return f"Cancel alert for {where}"
    word = "Open" if status == "OPEN" else "Repeat"
    value = trigger["value"]
    shown = "NaN" if value is None else round_significant(value)
    return f"{word} alert for {where}. Value: {shown}"


def _fired(trigger: dict, action: str) -> bool:
    return any(a["action"] == action and a["decision"] == "fire" for a in trigger["actions"])


def _alert_fields(trigger: dict, partition: int) -> dict[str, Any]:
    return {
        "partition": partition,
        "entity": trigger["entity"] or "",
        "metric": trigger["metric"],
        "tags": trigger["tags"],
        "severity": trigger["severity"],
        "repeat_count": trigger["repeat_count"],
        "value": _num(trigger["value"]),
        "open_value": _num(trigger["open_value"]),
        "text_value": text_value(trigger),
        "message": (trigger.get("text") or "") if trigger["data_type"] == "message" else "",
        "open_date": _dt(trigger["open_time"]) or _dt(trigger["now_ms"]),
        "last_event_date": _dt(trigger["update_time"] or trigger["now_ms"]),
        "episode": trigger["episode"] or 0,
        "window": trigger["window"],
        "expression": trigger["expression"],
        "rule_filter": trigger["rule_filter"],
        "snapshot": {
            k: trigger[k]
            for k in ("statistics", "variables", "window_tags", "command_time", "open_time")
        },
    }


def _history(event_id: str, trigger: dict) -> AlertHistory:
    status = trigger["status"]
    command_ms = trigger["command_time"] or trigger["now_ms"]
    open_ms = trigger["open_time"]
    end_ms = trigger["now_ms"]
    return AlertHistory(
        event_id=event_id,
        date=_dt(command_ms - command_ms % 1000),
        entity=trigger["entity"] or "",
        metric=trigger["metric"],
        tags=_tags_text(trigger["tags"]),
        type=status,
        value=_num(trigger["value"]),
        alert=history_text(trigger),
        severity="UNDEFINED" if status == "CANCEL" else trigger["severity"],
        rule=trigger["rule"],
        rule_expression=trigger["expression"],
        rule_filter=trigger["rule_filter"],
        window=trigger["window"],
        repeat_count=trigger["repeat_count"],
        alert_duration=0 if status == "OPEN" or open_ms is None else end_ms - open_ms,
        alert_open_date=_dt(open_ms),
        received_date=_dt(trigger["received_time"]),
    )


def _max_length(model: type[models.Model], name: str) -> int:
    field = model._meta.get_field(name)
    assert isinstance(field, models.CharField) and field.max_length is not None
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


def _unstorable(trigger: dict) -> str | None:
    """Why a trigger does not fit the columns it is written to, or None. Checked before
    writing so that every database refuses the same triggers (SQLite would store them);
    the window key also in UTF-8 bytes, as PostgreSQL indexes it (rules.ingest.limits)."""
    for name, limit in _TRIGGER_COLUMNS.items():
        value = trigger.get(name) or ""
        if len(value) > limit:
            what = name.replace("_", " ")
            return f"its {what} is {len(value)} characters, the column holds {limit}"
    return key_too_long(utf8_len(trigger.get("window_key") or ""))


def _as_rule_error(trigger: dict, problem: str) -> dict:
    """A rule error (outbox form) reporting a trigger that cannot be stored."""
    return {
        "time_ms": trigger.get("now_ms") or int(datetime.now(tz=UTC).timestamp() * 1000),
        "rule": trigger.get("rule") or "",
        "error": f"{trigger.get('status')} trigger not stored: {problem}",
        "expression": trigger.get("expression") or "",
        "command": None,
        "window_key": trigger.get("window_key") or "",
    }


def store_items(partition: int, items: Iterable[dict]) -> list[str]:
    """Persist outbox items; returns the ids of new trigger records.

    The items are written in one transaction. One that the database cannot hold is
    reported as a rule error (and logged) in its place, so that one poisoned trigger
    never blocks the outbox: a field longer than its column is found before writing;
    anything else the database refuses, by splitting the batch in halves until the
    item at fault stands alone. A transient failure (the database unreachable or
    busy, :mod:`rules.runtime.faults`) raises, and the outbox keeps every item for the
    next drain (the writes are idempotent).
    """
    checked: list[dict] = []
    for item in items:
        trigger = item.get("trigger")
        problem = None if trigger is None else _unstorable(trigger)
        if trigger is not None and problem is not None:
            log.warning("partition %d: rule %.200s: %s", partition, trigger["rule"], problem)
            item = {"error": _as_rule_error(trigger, problem)}
        checked.append(item)
    return _store_splitting(partition, checked)


def _store_splitting(partition: int, items: list[dict]) -> list[str]:
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
        if "trigger" not in item:
            return []  # a rule error the database refuses is only logged
        problem = f"the database refused it: {reason}"
        return _store_splitting(partition, [{"error": _as_rule_error(item["trigger"], problem)}])


def _store_together(partition: int, items: list[dict]) -> list[str]:
    """Persist ``items`` in one transaction; returns the ids of new trigger records."""
    triggers: list[tuple[str, dict]] = []
    errors: list[dict] = []
    for item in items:
        if "trigger" in item:
            triggers.append((item["id"], item["trigger"]))
        else:
            errors.append(item["error"])
    new_ids: list[str] = []
    with transaction.atomic():
        if triggers:
            ids = [event_id for event_id, _ in triggers]
            known = set(
                TriggerRecord.objects.filter(event_id__in=ids).values_list("event_id", flat=True)
            )
            fresh = [(i, t) for i, t in triggers if i not in known]
            TriggerRecord.objects.bulk_create(
                [
                    TriggerRecord(
                        event_id=i, rule=t["rule"], window_key=t["window_key"],
                        status=t["status"], reason=t["reason"], data=t,
                    )
                    for i, t in fresh
                ]
            )  # fmt: skip
            new_ids = [i for i, _ in fresh]
            history = []
            for event_id, trigger in fresh:
                _apply_alert(trigger, partition)
                if _fired(trigger, ALERT_HISTORY):
                    history.append(_history(event_id, trigger))
            AlertHistory.objects.bulk_create(history)
            if new_ids:
                from notifications.dispatch import dispatch_triggers

                # In the same transaction: a worker killed after the trigger records
                # commit would otherwise leave them without deliveries, and the outbox,
                # stored again, skips the records it finds.
                dispatch_triggers(new_ids)
        if errors:
            _store_errors(errors)
    return new_ids


def _apply_alert(trigger: dict, partition: int) -> None:
    lookup = {"rule": trigger["rule"], "window_key": trigger["window_key"]}
    status = trigger["status"]
    if status == "CANCEL":
        Alert.objects.filter(**lookup).delete()
        return
    fields = _alert_fields(trigger, partition)
    if status == "OPEN":
        fields["acknowledged"] = False
    updated = Alert.objects.filter(**lookup).update(**fields)
    if not updated:
        Alert.objects.create(**lookup, **fields)


def _store_errors(errors: list[dict]) -> None:
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
