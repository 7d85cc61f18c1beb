"""The supervisor's decisions in `make run` (scripts/run_stack.py): back-off, crash loops,
exit descriptions. The real stack is killed and restarted in
tests/integration/test_stack_supervision.py."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from run_stack import (  # noqa: E402
    CRASH_LOOP_DEATHS,
    CRASH_LOOP_WINDOW_S,
    PRODUCERS,
    Child,
    backoff_s,
    describe_exit,
)


def test_restarts_come_sooner_the_fewer_deaths_in_the_last_minute():
    assert [backoff_s(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]


def test_deaths_older_than_the_window_are_forgotten():
    child = Child("beat", ["celery"], PRODUCERS)
    assert [child.record_death(t) for t in (0.0, 10.0, 20.0)] == [1, 2, 3]
    assert child.record_death(20.0 + CRASH_LOOP_WINDOW_S - 5) == 2  # 0.0 and 10.0 aged out
    assert CRASH_LOOP_DEATHS == 5


def test_exit_codes_name_their_signal():
    assert describe_exit(-9) == "code -9 (SIGKILL)"
    assert describe_exit(-15) == "code -15 (SIGTERM)"
    assert describe_exit(1) == "code 1"
