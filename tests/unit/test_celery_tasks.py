"""Task names are part of queued messages and of beat's schedule: a worker knows them all."""

from django.conf import settings

from atsd_alerts.celery import app

RULES_TASKS = {
    "rules.wake_partition",
    "rules.tick_partition",
    "rules.emit_timer",
    "rules.emit_self_metrics",
    "rules.expire_records",
    "rules.expire_series_history",
    "rules.expire_stores",
}


def test_a_worker_registers_every_task_of_rules_under_its_name():
    app.loader.import_default_modules()  # what `celery worker` does when it starts
    assert set(app.tasks) >= RULES_TASKS


def test_every_task_beat_schedules_is_registered():
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled <= set(app.tasks)
