"""Model factories: plain functions that create rows with sensible defaults.

Every keyword overrides one model field. Dates default to a fixed moment (not the
wall clock) so tests that filter by date are deterministic; pass your own when the
test is about "now".
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from notifications.bindings.rows import specs_of
from notifications.models import RuleNotification
from rules.models import Alert, AlertHistory, Entity, Metric, RuleErrorRecord
from rules.rulesxml.web_notifications import write_web_notifications

# 2018-05-12T13:39:37Z: the open date of the spec §8 alert example.
DEFAULT_DATE = datetime(2018, 5, 12, 13, 39, 37, tzinfo=UTC)

_sequence = itertools.count(1)


def _next() -> int:
    return next(_sequence)


def bindings_xml(rows: list[RuleNotification], rule_name: str) -> list[str]:
    """The ``web_notifications_xml`` of a rule whose bindings are ``rows``, as an
    imported rules.xml would carry them."""
    return write_web_notifications(specs_of(rows), rule_name)


def window_key(entity: str, tags: dict[str, str] | None = None) -> str:
    """A window key in the engine's display form (entity, then sorted tags)."""
    parts = [entity, *(f"{k}={v}" for k, v in sorted((tags or {}).items()))]
    return "|".join(parts)


def make_alert(**fields: Any) -> Alert:
    """An open alert like spec §8's ``disk_low`` example unless overridden.

    ``window_key`` is derived from entity and tags, so two alerts of one rule on
    different entities do not collide on the one-alert-per-window constraint.
    """
    tags = fields.pop("tags", {"file_system": "/dev/sdc1", "mount_point": "/media/datadrive"})
    entity = fields.pop("entity", "nurswgvml006")
    open_date = fields.pop("open_date", DEFAULT_DATE)
    value = fields.pop("value", 61.3651)
    defaults: dict[str, Any] = {
        "rule": "disk_low",
        "window_key": window_key(entity, tags),
        "entity": entity,
        "metric": "disk_used_percent",
        "tags": tags,
        "severity": "CRITICAL",
        "acknowledged": False,
        "repeat_count": 106,
        "value": value,
        "open_value": 61.3998,
        "text_value": "61.365",
        "open_date": open_date,
        "last_event_date": open_date + timedelta(minutes=78, seconds=5),
        "episode": int(open_date.timestamp() * 1000),
        "window": "length(1)",
        "expression": "value > 60",
        "rule_filter": "",
        "snapshot": {
            "status": "REPEAT",
            "window": "length(1)",
            "received_time": int(open_date.timestamp() * 1000) + 361,
            "statistics": {"count": 1, "avg": value, "max": value},
            "variables": {"free_space": 38.6349},
            "times": [int(open_date.timestamp() * 1000)],
            "values": [value],
        },
    }
    defaults.update(fields)
    return Alert.objects.create(**defaults)


def make_history(**fields: Any) -> AlertHistory:
    """An alert history record like the spec §8 CANCEL example unless overridden."""
    date = fields.pop("date", datetime(2016, 7, 1, 11, 8, 25, tzinfo=UTC))
    defaults: dict[str, Any] = {
        "event_id": f"test-{_next()}",
        "date": date,
        "entity": "nurswgvml007",
        "metric": "nmon.cpu_total.busy%",
        "tags": "",
        "type": "CANCEL",
        "value": 9.5,
        "alert": "Cancel alert for nurswgvml007, nmon.cpu_total.busy%, {}",
        "severity": "UNDEFINED",
        "rule": "nmon_cpu_alert",
        "rule_expression": "max() > 10",
        "rule_filter": "",
        "window": "length(3)",
        "repeat_count": 3,
        "alert_duration": 240043,
        "alert_open_date": datetime(2016, 7, 1, 11, 4, 25, 318000, tzinfo=UTC),
        "received_date": datetime(2016, 7, 1, 11, 8, 25, 361000, tzinfo=UTC),
    }
    defaults.update(fields)
    return AlertHistory.objects.create(**defaults)


def make_rule_error(**fields: Any) -> RuleErrorRecord:
    """A rule error (a failed placeholder) unless overridden."""
    defaults: dict[str, Any] = {
        "time": DEFAULT_DATE,
        "rule": "temperature-too-high",
        "error": "Unknown function 'round(' at position 8",
        "expression": "x ${round(}",
        "command": "series e:br-1905 m:temperature=55",
        "window_key": "br-1905",
    }
    defaults.update(fields)
    return RuleErrorRecord.objects.create(**defaults)


def make_entity(name: str = "nurswgvml006", **fields: Any) -> Entity:
    """An entity in the registry (for labels and tags)."""
    return Entity.objects.create(name=name, **fields)


def make_metric(name: str = "disk_used_percent", **fields: Any) -> Metric:
    """A metric in the registry."""
    return Metric.objects.create(name=name, **fields)


def window_summary(**fields: Any) -> dict[str, Any]:
    """A window summary as engine partitions publish it (``rules.alerts.published_windows``)."""
    open_ms = int(DEFAULT_DATE.timestamp() * 1000)
    summary: dict[str, Any] = {
        "rule": "temperature-too-high",
        "window_key": "br-1905",
        "status": "OPEN",
        "window": "length(3)",
        "size": 2,
        "metric": "temperature",
        "entity": "br-1905",
        "tags": {},
        "repeat_count": 1,
        "first_time": open_ms,
        "last_time": open_ms + 105_000,
        "last_value": 60.0,
        "open_time": open_ms,
        "open_value": 55.0,
        "statistics": {"count": 2, "avg": 57.5},
        "variables": {"limit": 50},
        "partition": 0,
    }
    summary.update(fields)
    return summary
