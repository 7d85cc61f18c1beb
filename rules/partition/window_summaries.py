"""Plain summaries of a partition's windows for the Rule Windows page."""

from __future__ import annotations

import math
from typing import Any

from rules.engine.engine import Engine
from rules.engine.status import CANCEL


def _finite(value: float) -> float | None:
    return value if isinstance(value, float | int) and math.isfinite(value) else None


def summarize(engine: Engine, partition: int, limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` windows, OPEN/REPEAT first, each as JSON-able data."""
    rows: list[dict[str, Any]] = []
    for runtime in engine.rules.values():
        spec = runtime.spec
        for wr in runtime.windows.values():
            st = wr.state
            window = wr.window
            event = st.event
            rows.append(
                {
                    "partition": partition,
                    "rule": runtime.rule.name,
                    "window_key": wr.display,
                    "status": st.status,
                    "window": spec.text,
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
            )
    rows.sort(key=lambda r: (r["status"] == CANCEL, r["rule"], r["window_key"]))
    return rows[:limit]
