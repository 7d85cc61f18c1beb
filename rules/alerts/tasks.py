"""Celery task of the alert store: retention (beat runs it hourly)."""

from __future__ import annotations

from celery import shared_task

from rules.alerts.retention import expire_records as expire


@shared_task(name="rules.expire_records", ignore_result=True)
def expire_records() -> None:
    """Retention of trigger records and alert history."""
    expire()
