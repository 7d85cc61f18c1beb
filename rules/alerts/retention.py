"""How long the alert store keeps trigger records, alert history rows and the log of
acknowledge-link openings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings

from rules.models import AckLinkUse, AlertHistory, TriggerRecord


def expire_records() -> None:
    """Delete trigger records older than ``TRIGGER_RETENTION_DAYS``, alert history and
    acknowledge-link openings older than ``ALERT_HISTORY_RETENTION_DAYS``, and all but the
    newest ``ACK_LINK_USES_KEPT`` openings (anyone may open a link, valid or not)."""
    now = datetime.now(tz=UTC)
    TriggerRecord.objects.filter(
        created__lt=now - timedelta(days=settings.TRIGGER_RETENTION_DAYS)
    ).delete()
    history_cutoff = now - timedelta(days=settings.ALERT_HISTORY_RETENTION_DAYS)
    AlertHistory.objects.filter(date__lt=history_cutoff).delete()
    AckLinkUse.objects.filter(time__lt=history_cutoff).delete()
    kept = max(1, settings.ACK_LINK_USES_KEPT)
    newest = AckLinkUse.objects.order_by("-id").values_list("id", flat=True)
    oldest_kept = list(newest[kept - 1 : kept])
    if oldest_kept:
        AckLinkUse.objects.filter(id__lt=oldest_kept[0]).delete()
