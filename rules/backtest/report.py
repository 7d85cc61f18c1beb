"""A replay as JSON data: the sequence, the windows, the charts with their markers and
the messages each binding would have sent (rendered by whoever registered a previewer,
rules.contract.previews). The editor's page, the API and the command all show this."""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any

from rules.backtest.limits import BacktestLimits
from rules.backtest.runner import Replay
from rules.contract.previews import preview_messages
from rules.contract.triggers import EMAIL_ACTION_PREFIX, WEB_ACTION_PREFIX, TriggerSnapshot

MAX_CHARTS = 6  # series charted: those with the most triggers first


def _number(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _sends(trigger: TriggerSnapshot) -> bool:
    return any(a.startswith((WEB_ACTION_PREFIX, EMAIL_ACTION_PREFIX)) for a in trigger.fired())


def _step(trigger: TriggerSnapshot) -> dict[str, Any]:
    return {
        "time": trigger.now_ms,
        "status": trigger.status,
        "window": trigger.window_key,
        "entity": trigger.entity,
        "tags": trigger.tags,
        "value": _number(trigger.value),
        "repeat_count": trigger.repeat_count,
        "reason": trigger.reason,
        "fired": trigger.fired(),
    }


def _charts(replay: Replay) -> list[dict[str, Any]]:
    marks: dict[tuple[str | None, tuple[tuple[str, str], ...]], list[dict[str, Any]]] = {}
    for trigger in replay.triggers:
        key = (trigger.entity, tuple(sorted(trigger.tags.items())))
        marks.setdefault(key, []).append(
            {"time": trigger.now_ms, "status": trigger.status, "value": _number(trigger.value)}
        )
    charts: list[tuple[int, dict[str, Any]]] = []
    for series in replay.series:
        key = (series.entity, tuple(sorted(series.tags.items())))
        tags = ", ".join(f"{k}={v}" for k, v in key[1])
        found = marks.get(key, [])
        chart = {
            "label": f"{series.metric} {series.entity}" + (f" {{{tags}}}" if tags else ""),
            "times": [t for t, _ in series.points],
            "values": [_number(v) for _, v in series.points],
            "raw_from": series.raw_from_ms,
            "marks": found,
        }
        charts.append((len(found), chart))
    charts.sort(key=lambda item: -item[0])  # stable: series order among equals
    return [chart for _, chart in charts[:MAX_CHARTS]]


def build_report(replay: Replay, limits: BacktestLimits) -> dict[str, Any]:
    """The JSON data of ``replay``; messages for the first ``limits.max_messages``
    triggers that fire a binding, rendered over the replay's sandbox stores."""
    sending = [i for i, t in enumerate(replay.triggers) if _sends(t)][: limits.max_messages]
    messages = []
    for preview in preview_messages([replay.triggers[i] for i in sending], replay.reads):
        item = asdict(preview)
        item["trigger"] = sending[preview.trigger]
        item["errors"] = list(preview.errors)
        messages.append(item)
    return {
        "rule": replay.rule,
        "start": replay.start_ms,
        "end": replay.end_ms,
        "samples": replay.samples,
        "stopped": replay.stopped,
        "triggers_total": replay.triggers_total,
        "sequence": [_step(t) for t in replay.triggers],
        "windows": [asdict(w) for w in replay.windows],
        "charts": _charts(replay),
        "messages": messages,
        "errors": [
            {
                "time": e.time_ms,
                "error": e.error,
                "expression": e.expression,
                "window": e.window_key,
            }
            for e in replay.errors
        ],
    }
