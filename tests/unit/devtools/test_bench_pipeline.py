"""bench_pipeline's parts that run without a stack: process roles and the profile lines."""

import subprocess
import sys

import pytest

from devtools.bench.process_cpu import cpu_between, role, tree_cpu
from devtools.management.commands.bench_pipeline import Command


@pytest.mark.parametrize(
    ("cmdline", "expected"),
    [
        ("/venv/bin/celery -A atsd_alerts -q worker -Q engine.3 -P solo -c 1", "engine.3"),
        ("/venv/bin/python manage.py listen_tcp --port 8081", "listener"),
        ("redis-server /data/redis.conf", "redis"),
        ("/venv/bin/celery -A atsd_alerts -q worker -Q notify -P threads", "notify"),
    ],
)
def test_each_stack_process_is_counted_under_its_role(cmdline, expected):
    assert role(cmdline) == expected


def test_the_cpu_of_a_child_process_is_counted_under_its_parent():
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                             stdin=subprocess.PIPE)  # fmt: skip
    try:
        before = tree_cpu(child.pid)
        assert set(before) == {child.pid}
        spent = cpu_between(before, tree_cpu(child.pid))
        assert set(spent) == {"other"}
        assert spent["other"] >= 0
    finally:
        child.communicate(b"")


def test_the_profile_prints_each_stage_as_labelled_figures(capsys):
    stages = {
        "engine": {"ns": 3_000_000_000, "calls": 10, "items": 300_000},
        "listener parse": {"ns": 1_000_000_000, "calls": 5, "items": 300_000},
    }
    command = Command()
    command.write_profile(300_000, stages)
    command.write_cpu(300_000, {"engine.0": 2.5, "listener": 1.5})
    out = capsys.readouterr().out.splitlines()
    assert out[:4] == [
        "stage listener parse: 3.333 ms per 1,000 samples",
        "stage listener parse share: 25.0 %",
        "stage listener parse alone: 300,000 samples/s",
        "stage listener parse calls: 5 calls",
    ]
    assert "stage engine alone: 100,000 samples/s" in out
    assert "cpu engine.0 share: 62.5 %" in out
    assert out[-2:] == ["cpu total: 4.00 s", "cpu per 1,000 samples: 13.33 ms"]
