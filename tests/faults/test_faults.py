"""Nothing lost, nothing twice: the `make run` stack under a steady stream of alerts,
broken one fault at a time.

One stack (tests.faults.stack, on this run's database kind) serves every fault; each
fault gets a batch of entities of its own, streamed steadily (each entity a high value,
then a low one: one OPEN, then one CANCEL in the room) while the fault strikes, and a
process fault strikes while a ballast of samples floods the listener, Redis and the
engine workers, so that it finds them busy:

* SIGKILL of the listener, of each engine worker, of beat, of web, of the notify worker
  while it has requests in flight (the fake holds their answers: the messages are in
  the room, the worker never hears so), and of Redis; SIGTERM of Redis; SIGKILL of
  Redis and then of both engine workers, which must get their windows back from it;
* HipChat down for longer than the retry back-off cap (lowered to ``BACKOFF_CAP_S``),
  refusing connections, then answering 503;
* a restart of the whole stack.

Afterwards each entity's OPEN and CANCEL are in the room exactly once, OPEN first; no
window was lost, no rule error written, no notification given up or sent "at least
once". Each fault prints ``fault: <name>  lost: N  duplicated: N  recovered: S s``:
recovered is the time from the fault to a probe served end to end again (for an outage,
from HipChat's return until the room had everything that waited), printed, never
asserted: the machine is shared.

Run alone with ``make test PYTEST_ARGS='-m faults -s'``.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from devtools.fakes.hipchat import HipChatFake, Reply
from tests.faults.configure import STREAM_RULE
from tests.faults.stack import (
    AlertStream,
    StackUnderTest,
    StreamTally,
    fake_room,
    running_stack,
    send_ballast,
)

pytestmark = [pytest.mark.faults, pytest.mark.integration, pytest.mark.timeout(600)]

ENTITIES = 40  # per fault: 10 steps of 4, each entity cancelled 3 steps after it opened
STEPS_BEFORE_FAULT = 4  # the fault strikes with alerts opening, open and cancelling
BALLAST_SAMPLES = 30_000  # flat out: about half a second of work when nothing fails
BACKOFF_CAP_S = 5
OUTAGE_S = 12  # longer than the cap: several capped waits in a row
IN_FLIGHT = 4  # the notify worker's threads, each held on a request HipChat acted on
HOLD_S = 30  # longer than the kill takes to come, shorter than a test
RECOVERY_TIMEOUT_S = 120
COMPLETE_TIMEOUT_S = 180
STACK_ENV = {"NOTIFY_BACKOFF_CAP": str(BACKOFF_CAP_S)}

# What must stay unchanged across a fault: what, and the SQL that counts it.
WINDOWS_LOST = "windows closed as lost"
UNCHANGED = {
    WINDOWS_LOST: ("SELECT count(*) FROM rules_triggerrecord WHERE reason = 'state_lost'"),
    "rule errors": "SELECT count(*) FROM rules_ruleerrorrecord",
    "notifications given up": "SELECT count(*) FROM notifications_delivery WHERE status = 'FAILED'",
    "requests sent again unchecked": (
        "SELECT count(*) FROM notifications_deliveryattempt WHERE status = 'UNKNOWN'"
    ),
    "alerts stored without their notifications": (
        "SELECT count(*) FROM rules_triggerrecord t WHERE t.rule = %s "
        "AND t.status IN ('OPEN', 'CANCEL') AND NOT EXISTS "
        "(SELECT 1 FROM notifications_delivery d WHERE d.event_id = t.event_id)"
    ),
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """The stack every fault strikes; its fake HipChat room is ``stack.fake``."""
    workdir = tmp_path_factory.mktemp("faults")
    with fake_room() as room, running_stack(workdir, room, env=STACK_ENV) as started:
        yield started


# A fault strikes the stack mid-stream and returns how it recovered: seconds from the
# fault to service, or a function of the moment the batch was complete (an outage's
# recovery is the backlog delivered after HipChat returned).
Recovered = float | Callable[[float], float]
Fault = Callable[[StackUnderTest, HipChatFake], Recovered]


def killed(child: str, sig: int = signal.SIGKILL) -> Fault:
    def inject(stack: StackUnderTest, room: HipChatFake) -> Recovered:
        return stack.kill_and_recover(child, RECOVERY_TIMEOUT_S, sig).seconds

    return inject


def notify_killed_in_flight(stack: StackUnderTest, room: HipChatFake) -> Recovered:
    room.script(Reply.held(HOLD_S, endpoint="notification"), times=IN_FLIGHT)
    deadline = time.monotonic() + RECOVERY_TIMEOUT_S
    while room.scripted_left:
        assert time.monotonic() < deadline, f"{IN_FLIGHT} requests never were in flight together"
        time.sleep(0.02)
    return stack.kill_and_recover("notify", RECOVERY_TIMEOUT_S).seconds


def redis_then_engines(stack: StackUnderTest, room: HipChatFake) -> Recovered:
    """Redis killed, then, once it serves again, both engine workers: they can only get
    their open windows back from what Redis kept of them."""
    began = time.monotonic()
    stack.kill_and_recover("redis", RECOVERY_TIMEOUT_S)
    engines = [f"engine.{p}" for p in range(stack.partitions)]
    killed_pids = {child: stack.kill(child) for child in engines}
    for child, pid in killed_pids.items():
        stack.wait_restarted(child, pid, RECOVERY_TIMEOUT_S)
    stack.wait_serving(RECOVERY_TIMEOUT_S)
    return time.monotonic() - began


def hipchat_down(status: int | None) -> Fault:
    def inject(stack: StackUnderTest, room: HipChatFake) -> Recovered:
        room.go_down(for_s=OUTAGE_S, status=status)

        def recovered(complete_at: float) -> float:
            assert room.came_back_at is not None
            return complete_at - room.came_back_at

        return recovered

    return inject


def restarted(stack: StackUnderTest, room: HipChatFake) -> Recovered:
    return stack.restart()


@dataclass(frozen=True)
class Case:
    key: str  # the test id and the prefix of the batch's entities
    name: str  # as printed
    fault: Fault
    busy: bool = True  # strikes while a ballast of samples floods listener, Redis, engine


CASES = [
    Case("listener", "listener SIGKILL", killed("listener")),
    Case("engine0", "engine.0 SIGKILL", killed("engine.0")),
    Case("engine1", "engine.1 SIGKILL", killed("engine.1")),
    Case("notify", f"notify SIGKILL, {IN_FLIGHT} requests in flight", notify_killed_in_flight),
    Case("beat", "beat SIGKILL", killed("beat")),
    Case("web", "web SIGKILL", killed("web")),
    Case("redis-kill", "redis SIGKILL", killed("redis")),
    Case("redis-term", "redis SIGTERM", killed("redis", signal.SIGTERM)),
    Case("redis-engines", "redis SIGKILL, then both engine workers", redis_then_engines),
    Case("hipchat-refused", f"hipchat down {OUTAGE_S} s, connection refused",
         hipchat_down(None), busy=False),
    Case("hipchat-503", f"hipchat down {OUTAGE_S} s, 503", hipchat_down(503), busy=False),
    Case("restart", "stack restart", restarted),
]  # fmt: skip


def counts(stack: StackUnderTest) -> dict[str, int]:
    return {
        what: stack.query(sql, (STREAM_RULE,) if "%s" in sql else ())[0][0]
        for what, sql in UNCHANGED.items()
    }


def wait_settled(stack: StackUnderTest, prefix: str, timeout: float) -> list[tuple]:
    """Wait until no delivery of the batch ``prefix-N`` is pending or being sent;
    returns those still unfinished at ``timeout`` (none: settled)."""
    deadline = time.monotonic() + timeout
    while True:
        unfinished = stack.query(
            "SELECT id, entity, trigger, status, attempts, last_error "
            "FROM notifications_delivery WHERE rule_name = %s AND entity LIKE %s "
            "AND status IN ('PENDING', 'SENDING')",
            (STREAM_RULE, f"{prefix}-%"),
        )
        if not unfinished or time.monotonic() >= deadline:
            return unfinished
        time.sleep(0.2)


def logged_ok(stack: StackUnderTest, prefix: str) -> int:
    """OK rows of the Notification Log for the batch of entities named ``prefix-N``."""
    return stack.query(
        "SELECT count(*) FROM notifications_deliveryattempt a JOIN notifications_delivery d "
        "ON a.delivery_id = d.id WHERE d.rule_name = %s AND d.entity LIKE %s "
        "AND a.status = 'OK'",
        (STREAM_RULE, f"{prefix}-%"),
    )[0][0]


def whereabouts(stack: StackUnderTest, tally: StreamTally, shown: int = 5) -> str:
    """Where the first missing messages stopped: their trigger records, deliveries and
    Notification Log rows, read while the stack and its log are still there."""
    lines = []
    for status in ("OPEN", "CANCEL"):
        received = tally.received.get(status, {})
        for entity in [e for e in tally.entities if e not in received][:shown]:
            triggers = stack.query(
                "SELECT event_id, reason FROM rules_triggerrecord WHERE rule = %s "
                "AND status = %s AND window_key LIKE %s",
                (STREAM_RULE, status, f"%{entity}%"),
            )
            deliveries = stack.query(
                "SELECT d.id, d.status, d.attempts, d.last_error, "
                "(SELECT count(*) FROM notifications_deliveryattempt a "
                "WHERE a.delivery_id = d.id) FROM notifications_delivery d "
                "WHERE d.entity = %s AND d.trigger = %s",
                (entity, status),
            )
            lines.append(f"{status} {entity}: triggers {triggers}, deliveries {deliveries}")
    return "\n".join(lines)


@pytest.mark.parametrize("case", CASES, ids=[c.key for c in CASES])
def test_every_open_and_cancel_reaches_the_room_once_in_order_across_the_fault(
    stack: StackUnderTest, case: Case, fault_report: list[str]
) -> None:
    before = counts(stack)
    stream = AlertStream(stack, ENTITIES, prefix=case.key)
    sender = stream.steady()
    sender.wait_steps(STEPS_BEFORE_FAULT)
    ballast = send_ballast(stack, BALLAST_SAMPLES) if case.busy else None
    if ballast is not None:
        ballast.wait_steps(2)

    recovered = case.fault(stack, stack.fake)
    sender.finish()
    if ballast is not None:
        ballast.finish()
    tally = stream.wait_complete(COMPLETE_TIMEOUT_S)
    complete_at = time.monotonic()
    # The room may be complete while a request whose answer the fault lost is still to
    # be settled (looked for in the room's history): wait for the journal, then count
    # again, so that a message sent twice late shows too.
    unfinished = wait_settled(stack, case.key, COMPLETE_TIMEOUT_S)
    tally = stream.tally()

    seconds = recovered(complete_at) if callable(recovered) else recovered
    after = counts(stack)
    # A window closed as lost sends its CANCEL before its low value came: the room
    # cannot tell it from the real one, the database can.
    windows_lost = after[WINDOWS_LOST] - before[WINDOWS_LOST]
    lost = tally.lost("OPEN") + tally.lost("CANCEL") + windows_lost
    duplicated = tally.duplicated("OPEN") + tally.duplicated("CANCEL")
    line = f"fault: {case.name}  lost: {lost}  duplicated: {duplicated}  recovered: {seconds:.1f} s"
    print(f"\n{line}")
    fault_report.append(line)
    assert (lost, duplicated, tally.out_of_order) == (0, 0, 0), (
        f"{tally.report()}\nwindows closed as lost: {windows_lost}\n"
        f"(lines sent again after a broken connection: {sender.resent})\n"
        f"{whereabouts(stack, tally)}\n{stack.log_tail()}"
    )
    assert not unfinished, f"deliveries still unfinished: {unfinished}"
    assert after == before
    # Every message the room took has its Notification Log row, the ones whose answer
    # the fault lost included (found in the room's history).
    assert logged_ok(stack, case.key) == 2 * ENTITIES
