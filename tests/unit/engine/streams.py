"""Random sample streams through an engine, and everything observable that comes out.

Property tests run one stream through two engines that must agree (fast path vs
general path, window plans vs compiled closures) and compare ``outcome``s.
"""

from __future__ import annotations

from collections.abc import Iterable

from rules.contract.triggers import encode_trigger
from rules.engine.engine import Engine
from rules.events import Event

START_MS = 1_700_000_000_000


def drive(engine: Engine, steps: Iterable[tuple[str, int, float]]) -> list[dict]:
    """Each step (entity, time offset, value) is one sample of metric ``m``, 5 s after
    the previous step's clock reading, processed on its own; returns the triggers."""
    triggers = []
    now = START_MS
    for entity, offset, v in steps:
        now += 5_000
        t = now + offset
        ev = Event("series", entity, "m", {}, t, now, v, line_values={"m": v})
        triggers += [encode_trigger(tr) for tr in engine.process(ev, now)]
    return triggers


def outcome(engine: Engine, rule: str, triggers: list[dict]) -> dict:
    """Triggers, rule errors, the rule's filter log and the engine's snapshot."""
    return {
        "triggers": triggers,
        "errors": [e.to_dict() for e in engine.drain_errors()],
        "log": engine.filter_log(rule),
        "snapshot": engine.snapshot(),
    }
