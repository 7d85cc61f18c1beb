"""``loadHistory`` (spec §3.3): a new window starts with the stored commands older than
its opening event that it would hold (the last N, or those within the window's
duration), without evaluating. Series come from the series history (the engine's
``store_reads``), messages and properties from its ``stores``
(rules.engine.stored_history); a read that fails is a Rule Error and the window starts
empty."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rules.engine.stored_history import stored_commands
from rules.engine.window_runtime import WindowRuntime
from rules.events import SERIES, Event

if TYPE_CHECKING:
    from rules.engine.rule_runtime import RuleRuntime


def prefill_window(rt: RuleRuntime, wr: WindowRuntime, event: Event, now_ms: int) -> None:
    """Fill ``wr``, just opened by ``event``, from the stores (see the module doc)."""
    w = wr.window
    start = now_ms - rt.duration_ms if rt.is_time else 0
    limit = None if rt.is_time else rt.spec.size
    try:
        if rt.kind == SERIES:
            reads = rt.engine.store_reads
            if reads is None:
                return
            points = reads.window_points(
                rt.metric, wr.key[2], dict(wr.key[3]), start, event.time_ms - 1
            )
            if limit is not None:
                points = points[-limit:]
        else:
            points = stored_commands(
                rt.engine.stores, rt.filter, not rt.trivial_filter, rt.grouping,
                wr.key, event, start, limit,
            )  # fmt: skip
    except Exception as exc:  # a store that cannot answer must not stop the partition
        rt.record_failure(wr, now_ms, f"loadHistory: {exc}", rt.rule.window)
        return
    if rt.is_time:
        for t, v in points:
            w.add(t, v, now_ms)  # type: ignore[call-arg]
    else:
        for t, v in points:
            w.add(t, v)  # type: ignore[call-arg]
