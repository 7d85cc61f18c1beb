"""A window as ``rule_window()``/``rule_windows()`` show it to another rule (spec §4.6).

The fields are the window's placeholders (§5.2) that make sense outside a notification,
plus ``lastText``, the last message text the window received.
"""

from __future__ import annotations

from rules.engine.rule_runtime import RuleRuntime
from rules.engine.scope import event_tags
from rules.engine.window_runtime import WindowRuntime
from rules.expressions.datetime_value import DateTime
from rules.expressions.values import Record

_TIMES = ("open_time", "repeat_time", "cancel_time", "change_time", "update_time", "add_time")


def window_record(rt: RuleRuntime, wr: WindowRuntime, zone: str) -> Record:
    """The fields of window ``wr`` of rule ``rt``."""
    st = wr.state
    ev = st.event
    w = wr.window
    fields = {
        "rule": rt.rule.name,
        "metric": wr.key[1],
        "entity": ev.entity if ev is not None else wr.key[2],
        "tags": dict(event_tags(ev)) if ev is not None else {},
        "window_entity": wr.key[2],
        "window_tags": dict(wr.key[3]),
        "status": st.status,
        "severity": rt.severity_for(ev).lower(),
        "repeat_count": st.repeat_count,
        "value": ev.value if ev is not None else None,
        "open_value": st.open_value,
        "message": ev.text if ev is not None else None,
        "lastText": ev.text if ev is not None else None,
        "window": rt.spec.text,
        "condition": rt.rule.expression,
        "count": w.count(),
        "threshold": "",
        "min_interval_expired": True,
        "command_time": None if st.command_time is None else DateTime(st.command_time, zone),
    }
    for name in _TIMES:
        ms = getattr(st, name)
        fields[name] = None if ms is None else DateTime(ms, zone)
    return Record(**fields)
