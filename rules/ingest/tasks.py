"""Celery tasks that feed the engine: samples of this server's own (beat runs them) and
the derived commands of triggers (the alert store sends them)."""

from __future__ import annotations

import time

from celery import shared_task

from rules.alerts.store import record_rule_error
from rules.engine.derived import INGEST_DERIVED_TASK
from rules.events import Event
from rules.ingest.commands import CommandError, parse_command
from rules.ingest.pipeline import hand_off, server_event
from rules.partition.monitoring import self_metrics


@shared_task(name="rules.emit_timer", ignore_result=True, expires=10)
def emit_timer(metric: str) -> None:
    """Timer events (timer_15s, timer_1m, ...) for scheduled rules (spec §3.4)."""
    hand_off([server_event(metric, 1.0)])


@shared_task(name="rules.emit_self_metrics", ignore_result=True, expires=50)
def emit_self_metrics() -> None:
    """Our own health as series through the same engine: commands, windows, alerts."""
    hand_off([server_event(name, value) for name, value in self_metrics().items()])


@shared_task(name=INGEST_DERIVED_TASK, ignore_result=True)
def ingest_derived(rule: str, lines: list[str], depth: int) -> int:
    """A rule's derived commands, ingested as if received; each resulting event carries
    ``depth`` (the engine's loop guard reads it). A line that does not parse is a Rule
    Error of ``rule``. Returns how many events were handed off."""
    now_ms = int(time.time() * 1000)
    events: list[Event] = []
    for line in lines:
        try:
            parsed = parse_command(line, now_ms)
        except CommandError as exc:
            record_rule_error(rule, f"derived command refused: {exc}", line)
            continue
        for event in parsed:
            event.derived_depth = depth
        events.extend(parsed)
    if events:
        hand_off(events, commands=len(lines))
    return len(events)
