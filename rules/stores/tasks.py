"""Celery task of the stores: retention (beat runs it hourly)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from rules.stores import properties


@shared_task(name="rules.expire_stores", ignore_result=True)
def expire_stores() -> None:
    """Keep the property store within ``PROPERTY_STORE_MAX_RECORDS``."""
    properties.trim(settings.PROPERTY_STORE_MAX_RECORDS)
