"""Celery task of the stores: retention (beat runs it hourly)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from rules.stores import messages, properties


@shared_task(name="rules.expire_stores", ignore_result=True)
def expire_stores() -> None:
    """Keep the property and message stores within their bounds."""
    properties.trim(settings.PROPERTY_STORE_MAX_RECORDS)
    messages.expire(settings.MESSAGE_RETENTION_HOURS, settings.MESSAGE_STORE_MAX_RECORDS)
