"""Beat task of the series history (registered through CELERY_IMPORTS)."""

from __future__ import annotations

from celery import shared_task

from rules.history import expiry


@shared_task(name="rules.expire_series_history", ignore_result=True)
def expire_series_history() -> dict[str, int]:
    """Trim raw points older than SERIES_HISTORY_HOURS; forget series with nothing left."""
    return expiry.expire()
