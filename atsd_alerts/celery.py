"""The Celery application shared by the web, listener, engine and notify processes."""

import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atsd_alerts.settings")

app = Celery("atsd_alerts")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def _tune_gc(**_: object) -> None:
    """Engine and notify workers run the solo/threads pools: tasks run in this process."""
    from atsd_alerts.gc_tuning import tune_for_throughput

    tune_for_throughput()
