"""Celery tasks that feed the engine samples of this server's own (beat runs them)."""

from __future__ import annotations

from celery import shared_task

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
