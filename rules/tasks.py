"""Celery tasks of the rules app: thin wrappers around plain functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from celery import shared_task
from django.conf import settings


@shared_task(name="rules.wake_partition", ignore_result=True)
def wake_partition(partition: int) -> int:
    """Apply what waits in the partition's inbox (see rules.runtime.partition).

    Safe to lose or repeat: the inbox, not this message, holds the batches.
    """
    from rules.runtime.worker import get_partition

    return get_partition(partition).pump()


@shared_task(name="rules.tick_partition", ignore_result=True, expires=5)
def tick_partition(partition: int) -> int:
    """Inbox, Check On Exit expiry, due delayed OPENs, checkpoints, window summaries."""
    from rules.runtime.worker import get_partition

    return get_partition(partition).tick()


@shared_task(name="rules.emit_timer", ignore_result=True, expires=10)
def emit_timer(metric: str) -> None:
    """Timer events (timer_15s, timer_1m, ...) for scheduled rules (spec §3.4)."""
    from rules.ingest.pipeline import hand_off, server_event

    hand_off([server_event(metric, 1.0)])


@shared_task(name="rules.emit_self_metrics", ignore_result=True, expires=50)
def emit_self_metrics() -> None:
    """Our own health as series through the same engine: commands, windows, alerts."""
    from rules.ingest.pipeline import hand_off, server_event
    from rules.runtime.monitoring import self_metrics

    hand_off([server_event(name, value) for name, value in self_metrics().items()])


@shared_task(name="rules.expire_records", ignore_result=True)
def expire_records() -> None:
    """Retention of trigger records and alert history."""
    from rules.models import AlertHistory, TriggerRecord

    now = datetime.now(tz=UTC)
    TriggerRecord.objects.filter(
        created__lt=now - timedelta(days=settings.TRIGGER_RETENTION_DAYS)
    ).delete()
    AlertHistory.objects.filter(
        date__lt=now - timedelta(days=settings.ALERT_HISTORY_RETENTION_DAYS)
    ).delete()
