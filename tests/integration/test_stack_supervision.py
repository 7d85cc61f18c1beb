"""`make run` heals itself: a killed child is restarted, logged with its exit code, and the
stack serves again; state survives a killed Redis and a whole restart; a crash loop stops
the stack; an idle minute logs nothing routine.

Runs the real stack (tests.faults.stack) on this run's database kind. Recovery times are
measured and printed (``-s`` shows them), never asserted: the machine is shared. What is
asserted is what the supervisor decides: the restart, its back-off, the exit line.
"""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Callable

import psutil
import pytest

from tests.faults.stack import AlertStream, StackUnderTest, fake_room, running_stack

pytestmark = pytest.mark.integration

RECOVERY_TIMEOUT_S = 90  # a loaded machine is slow; the figures are printed, not asserted


@pytest.fixture(scope="module")
def room():
    with fake_room() as fake:
        yield fake


@pytest.fixture(scope="module")
def stack(room, tmp_path_factory):
    with running_stack(tmp_path_factory.mktemp("stack"), room) as started:
        yield started


def lines_since(stack: StackUnderTest, mark: int) -> list[str]:
    return stack.log().splitlines()[mark:]


def state_lost_records(stack: StackUnderTest) -> str:
    code = (
        "from rules.models import RuleErrorRecord, TriggerRecord; "
        "print(TriggerRecord.objects.filter(reason='state_lost').count(), "
        "RuleErrorRecord.objects.count())"
    )
    return stack.manage("shell", "--no-imports", "-c", code).stdout.strip()


def test_an_idle_make_run_logs_no_tick_or_task_lines(stack):
    # 20 s hold 20 beat ticks per partition, a timer_15s and the notify sweeps: each of
    # them logged a line before; the per-minute tasks log through the same filters.
    mark = len(stack.log().splitlines())
    time.sleep(20)
    logged = lines_since(stack, mark)
    assert not [line for line in logged if "Sending due task" in line or "succeeded in" in line]
    assert len(logged) <= 3, "\n".join(logged)


@pytest.mark.parametrize("child", ["engine.0", "engine.1", "listener", "notify", "beat", "web",
                                   "redis"])  # fmt: skip
def test_a_killed_child_is_restarted_with_its_exit_code_logged_and_the_stack_serves(stack, child):
    old_pid = stack.pids()[child]
    mark = len(stack.log().splitlines())
    recovery = stack.kill_and_recover(child, timeout=RECOVERY_TIMEOUT_S)
    print(f"\n{recovery}")

    assert stack.pids()[child] != old_pid
    assert not psutil.pid_exists(old_pid) or psutil.Process(old_pid).status() == "zombie"
    logged = "\n".join(lines_since(stack, mark))
    assert re.search(
        rf"{re.escape(child)} exited with code -9 \(SIGKILL\); restarting in 0\.5 s "
        rf"\(1 of 5 deaths allowed within 60 s\)",
        logged,
    ), logged
    assert f"started {child} (pid {stack.pids()[child]})" in logged


ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")


@pytest.mark.skipif(not ON_POSTGRES, reason="SQLite has no server that drops connections")
def test_every_process_reconnects_when_the_database_drops_its_connections(stack):
    # Every process uses its connection once more (the listener and the workers on a
    # probe, the web on a command) so that each holds one when they are terminated.
    stack.wait_serving()
    stack.post_commands(["series e:warm-up m:stack_stream=1"])
    print(f"\n{stack.drop_database_connections()} database sessions terminated")
    print(f"\nserved again {stack.wait_serving(RECOVERY_TIMEOUT_S):.1f} s after the drop")
    assert stack.post_commands(["series e:after-drop m:stack_stream=1"])["success"] == 1


def alerts_across(stack: StackUnderTest, prefix: str, fault: Callable[[], object]) -> None:
    """20 alerts opened before ``fault()``, cancelled after it: each OPEN and CANCEL
    reaches the room once, and no window was lost (Redis kept its append-only file)."""
    stream = AlertStream(stack, 20, prefix=prefix)
    stream.open_all()
    stream.wait_received("OPEN", timeout=60)
    print(f"\n{fault()}")
    stream.cancel_all()
    tally = stream.wait_complete(timeout=120)
    print(tally.report())
    assert tally.complete
    assert not tally.duplicated("OPEN")
    assert not tally.duplicated("CANCEL")
    assert state_lost_records(stack) == "0 0"


def test_open_alerts_survive_a_killed_redis_and_cancel_normally(stack):
    alerts_across(stack, "redis-kill", lambda: stack.kill_and_recover("redis", RECOVERY_TIMEOUT_S))


def test_a_restarted_stack_keeps_its_open_alerts(stack):
    alerts_across(
        stack, "restart", lambda: f"stack restarted and served in {stack.restart():.1f} s"
    )


def test_a_crash_loop_stops_the_stack(room, tmp_path):
    stack = StackUnderTest(tmp_path, room, partitions=1)
    stack.start()
    try:
        for _ in range(4):
            stack.wait_restarted("beat", stack.kill("beat", signal.SIGKILL))
        children = stack.pids()
        stack.kill("beat", signal.SIGKILL)
        assert stack.process is not None
        assert stack.process.wait(60) == 1
        log = stack.log()
        assert (
            "beat exited with code -9 (SIGKILL): 5 deaths within 60 s, a crash loop; "
            "stopping the stack"
        ) in log
        assert log.rstrip().endswith("stopped")
        for name, pid in children.items():
            assert not psutil.pid_exists(pid), f"{name} (pid {pid}) still runs"
    finally:
        stack.close()
