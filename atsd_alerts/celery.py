"""The Celery application shared by the web, listener, engine and notify processes."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atsd_alerts.settings")

app = Celery("atsd_alerts")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
