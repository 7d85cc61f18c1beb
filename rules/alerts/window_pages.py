"""Rule Windows page: the windows the engine partitions publish (spec §8)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from atsd_alerts.accounts import viewer_required
from rules.alerts.published_windows import read_windows
from rules.expressions.formatting import round_significant
from rules.models import Rule

STATUSES = ("OPEN", "REPEAT", "CANCEL")


def window_length(window: str) -> str:
    """The Length column: ATSD shows count windows as ``count(3)`` for ``length(3)``."""
    if window.startswith("length(") and window.endswith(")"):
        return "count(" + window[len("length(") : -1] + ")"
    return window


def _time(ms: Any) -> datetime | None:
    if isinstance(ms, int | float) and not isinstance(ms, bool):
        return datetime.fromtimestamp(ms / 1000, tz=timezone.get_current_timezone())
    return None


def _display(value: Any) -> str:
    if isinstance(value, float | int) and not isinstance(value, bool):
        return round_significant(value)
    return "" if value is None else str(value)


def window_row(summary: dict[str, Any]) -> dict[str, Any]:
    """One published summary (see ``rules.alerts.published_windows``) ready for the template."""
    tags = summary.get("tags") or {}
    return {
        "status": summary.get("status", ""),
        "rule": summary.get("rule", ""),
        "window_key": summary.get("window_key", ""),
        "length": window_length(summary.get("window") or ""),
        "size": summary.get("size", ""),
        "metric": summary.get("metric", ""),
        "entity": summary.get("entity", ""),
        "tags": ";".join(f"{k}={v}" for k, v in sorted(tags.items())),
        "repeat_count": summary.get("repeat_count", 0),
        "first_time": _time(summary.get("first_time")),
        "last_value": _display(summary.get("last_value")),
        "last_time": _time(summary.get("last_time")),
        "open_time": _time(summary.get("open_time")),
        "open_value": _display(summary.get("open_value")),
        "partition": summary.get("partition", ""),
        "statistics": [(k, _display(v)) for k, v in (summary.get("statistics") or {}).items()],
        "variables": [(k, _display(v)) for k, v in (summary.get("variables") or {}).items()],
    }


@viewer_required
def rule_windows(request: HttpRequest) -> HttpResponse:
    """Windows filtered by rule (empty = all) and status checkboxes (none ticked = all)."""
    rule = request.GET.get("rule", "").strip()
    statuses = [s for s in request.GET.getlist("status") if s in STATUSES] or list(STATUSES)
    windows = [window_row(s) for s in read_windows(rule=rule or None, statuses=statuses)]
    rules = sorted(set(Rule.objects.values_list("name", flat=True)) | {w["rule"] for w in windows})
    context = {
        "windows": windows,
        "rule": rule,
        "rules": rules,
        "statuses": STATUSES,
        "selected": statuses,
    }
    return render(request, "rules/rule_windows.html", context)
