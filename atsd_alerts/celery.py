"""The Celery application shared by the web, listener, engine and notify processes."""

import os

from celery import Celery
from celery.signals import beat_init, celeryd_init, worker_ready

from atsd_alerts.redis_check import require_durable_redis

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atsd_alerts.settings")

app = Celery("atsd_alerts")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@celeryd_init.connect
def _refuse_forgetful_redis(sender: object = None, **_: object) -> None:
    """`celery worker` (not the tests' in-process workers) checks the broker's Redis."""
    require_durable_redis(f"worker {sender}")


@beat_init.connect
def _beat_refuses_forgetful_redis(**_: object) -> None:
    require_durable_redis("beat")


@worker_ready.connect
def _tune_gc(**_: object) -> None:
    """Engine and notify workers run the solo/threads pools: tasks run in this process."""
    from atsd_alerts.gc_tuning import tune_for_throughput

    tune_for_throughput()
