"""How long the alert store keeps trigger records and alert history rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings

from rules.models import AlertHistory, TriggerRecord


def expire_records() -> None:
    """Delete trigger records older than ``TRIGGER_RETENTION_DAYS`` and alert history
    older than ``ALERT_HISTORY_RETENTION_DAYS``."""
    now = datetime.now(tz=UTC)
    TriggerRecord.objects.filter(
        created__lt=now - timedelta(days=settings.TRIGGER_RETENTION_DAYS)
    ).delete()
    AlertHistory.objects.filter(
        date__lt=now - timedelta(days=settings.ALERT_HISTORY_RETENTION_DAYS)
    ).delete()
