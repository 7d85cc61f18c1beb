"""Worker processes freeze start-up objects and collect young objects less often."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import gc; from atsd_alerts.gc_tuning import tune_for_throughput; "
    "tune_for_throughput(); print(gc.get_threshold()[0], gc.get_freeze_count() > 0)"
)


def run_probe(**env: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_workers_freeze_start_up_objects_and_raise_the_young_threshold():
    assert run_probe() == "50000 True"


@pytest.mark.parametrize(("setting", "expected"), [("200000", "200000 True"), ("0", "700 False")])
def test_the_threshold_follows_the_environment(setting, expected):
    assert run_probe(GC_GEN0_THRESHOLD=setting) == expected


def test_celery_workers_tune_the_collector_when_ready():
    from celery.signals import worker_ready

    from atsd_alerts import celery

    receivers = [ref() for _, ref in worker_ready.receivers]
    assert celery._tune_gc in receivers
