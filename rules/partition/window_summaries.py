"""Plain summaries of a partition's windows for the Rule Windows page.

A partition may hold a million windows; the page shows a few thousand. The work per
publication is bounded by that number and by the OPEN/REPEAT windows, never by the
windows held: the partition tracks which windows its triggers made active
(``Partition.active``), and CANCEL windows fill the rest in the order their rules hold
them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from itertools import islice
from typing import Any

from rules.engine.engine import Engine
from rules.engine.rule_runtime import RuleRuntime
from rules.engine.status import CANCEL, is_active
from rules.engine.window_runtime import WindowRuntime


def _finite(value: float) -> float | None:
    return value if isinstance(value, float | int) and math.isfinite(value) else None


def summary(partition: int, runtime: RuleRuntime, wr: WindowRuntime) -> dict[str, Any]:
    """One window as JSON-able data."""
    st = wr.state
    window = wr.window
    event = st.event
    return {
        "partition": partition,
        "rule": runtime.rule.name,
        "window_key": wr.display,
        "status": st.status,
        "window": runtime.spec.text,
        "size": window.count() + window.count_nan(),
        "metric": runtime.metric,
        "entity": event.entity if event else (wr.key[2] or ""),
        "tags": dict(wr.key[3]) or (dict(event.tags) if event else {}),
        "repeat_count": st.repeat_count,
        "first_time": window.first_time(),
        "last_time": st.command_time,
        "last_value": _finite(event.value) if event else None,
        "open_time": st.open_time,
        "open_value": _finite(st.open_value),
        "statistics": {
            "count": window.count(),
            "avg": _finite(window.avg()),
            "min": _finite(window.min()),
            "max": _finite(window.max()),
            "sum": _finite(window.sum()),
            "first": _finite(window.first()),
            "last": _finite(window.last()),
        },
    }


def active_windows(engine: Engine) -> set[tuple[str, WindowRuntime]]:
    """(rule name, window) of every OPEN/REPEAT window: a scan of all windows, for a
    partition that has not tracked its triggers yet."""
    return {
        (name, wr)
        for name, runtime in engine.rules.items()
        for wr in runtime.windows.values()
        if is_active(wr.state.status)
    }


def still_active(
    engine: Engine, candidates: Iterable[tuple[str, WindowRuntime]]
) -> set[tuple[str, WindowRuntime]]:
    """The candidates that are OPEN/REPEAT windows their rule still holds."""
    out = set()
    for name, wr in candidates:
        runtime = engine.rules.get(name)
        if runtime is not None and is_active(wr.state.status) and runtime.find_window(wr.key) is wr:
            out.add((name, wr))
    return out


def summarize(
    engine: Engine, partition: int, limit: int, active: set[tuple[str, WindowRuntime]]
) -> list[dict[str, Any]]:
    """Up to ``limit`` windows: the ``active`` ones (``still_active``) first, then CANCEL
    windows, sorted by status (OPEN/REPEAT first), rule and window key."""
    rows = [summary(partition, engine.rules[name], wr) for name, wr in active]
    for runtime in engine.rules.values():
        room = limit - len(rows)
        if room <= 0:
            break
        cancelled = (wr for wr in runtime.windows.values() if wr.state.status == CANCEL)
        rows.extend(summary(partition, runtime, wr) for wr in islice(cancelled, room))
    rows.sort(key=lambda r: (r["status"] == CANCEL, r["rule"], r["window_key"]))
    return rows[:limit]
