"""SIGKILL an engine worker in the middle of 40,000 samples: nothing lost, nothing twice."""

import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings

from atsd_alerts.redis import client
from rules.engine.engine import Engine
from rules.events import SERIES, Event
from rules.partition import inbox
from rules.partition.journal import Partition
from rules.partition.tasks import engine_queue, tick_partition
from rules.partition.worker import sync_rules
from rules.routing.handoff import route_table, submit
from tests.engine_helpers import database_url, make_rule, poll
from tests.services import celery_worker_process

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
ENTITIES = 100
PER_ENTITY = 400
BATCH_SIZE = 500  # 80 inbox batches: the kill lands well inside the run


def events() -> list[Event]:
    out = []
    for i in range(PER_ENTITY):
        for e in range(ENTITIES):
            value = float((i * 7 + e) % 1000)
            t = 1_700_000_000_000 + i * 1000
            out.append(Event(SERIES, f"host-{e}", "crash_m", {"dc": "eu"}, t, t, value,
                             line_values={"crash_m": value}))  # fmt: skip
    return out


def start_worker(log_path: Path) -> subprocess.Popen:
    queues = ",".join(f"engine.{p}" for p in range(settings.ENGINE_PARTITIONS))
    return celery_worker_process(
        queues, log_path, DATABASE_URL=database_url(), REDIS_URL=settings.REDIS_URL
    )


def _position(entry_id: str) -> tuple[int, int]:
    millis, _, seq = entry_id.partition("-")
    return int(millis), int(seq or 0)


def _applied_id(partition: int) -> str:
    return (client().get(f"atsd:engine:{partition}:applied") or b"0").decode()


def applied_batches() -> int:
    """Inbox entries applied so far (no snapshot trims the inbox at this size)."""
    done = 0
    for partition in range(settings.ENGINE_PARTITIONS):
        applied = _applied_id(partition)
        if applied != "0":
            done += len(client().xrange(inbox.inbox_key(partition), min="-", max=applied))
    return done


def beat_ticks_until_all_applied() -> Callable[[], bool]:
    """A poll check that also sends what beat sends every second: a tick per partition.

    The killed worker may have taken every wake-up message with it (they only wake; the
    inbox holds the batches); in the stack, beat's ticks are what pump the inbox then.
    """
    last_tick = [0.0]

    def check() -> bool:
        if time.monotonic() - last_tick[0] >= 1.0:
            for partition in range(settings.ENGINE_PARTITIONS):
                tick_partition.apply_async(args=[partition], queue=engine_queue(partition))
            last_tick[0] = time.monotonic()
        return all_applied()

    return check


def all_applied() -> bool:
    for partition in range(settings.ENGINE_PARTITIONS):
        last, applied = inbox.last_id(partition), _applied_id(partition)
        if last != "0" and (applied == "0" or _position(applied) < _position(last)):
            return False
    return True


def state_of(engine: Engine) -> dict:
    return {
        (name, wr.display): (
            wr.window.times(),
            wr.window.values(),
            wr.state.status,
            wr.state.repeat_count,
        )
        for name, runtime in engine.rules.items()
        for wr in runtime.windows.values()
    }


def expected_state(sent: list[Event]) -> dict:
    """A run without the kill: the same rows per partition, applied in the same order."""
    state = {}
    for rows in route_table().route(sent).values():
        engine = Engine()
        sync_rules(engine, 0)
        out: list = []
        for wire, names in rows:
            event = Event.from_wire(wire)
            for name in names:
                engine.rules[name].process(event, 1_800_000_000_000, out)
        state.update(state_of(engine))
    return state


def recovered_state() -> dict:
    """What each partition holds after its worker stopped: snapshot + journal replay."""

    def refuse(items):  # read only: leave the outbox as it is
        raise RuntimeError("read-only recovery")

    state = {}
    for partition in range(settings.ENGINE_PARTITIONS):
        engine = Engine()
        sync_rules(engine, 0)
        Partition(partition, engine, refuse).recover()
        state.update(state_of(engine))
    return state


@pytest.mark.timeout(300)
def test_sigkill_mid_run_loses_no_sample_and_applies_none_twice(
    broker, transactional_db, tmp_path, settings
):
    settings.INGEST_BATCH_SIZE = BATCH_SIZE
    make_rule("crash", "crash_m", "value > 990", "length(2000)")
    sent = events()
    batches = submit(sent)
    assert batches >= 40

    first = start_worker(tmp_path / "worker.log")
    try:
        poll(lambda: applied_batches() >= 10, timeout=60, what="ten batches applied")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    assert not all_applied(), "the kill must come in the middle of the run"

    second = start_worker(tmp_path / "worker.log")
    try:
        poll(beat_ticks_until_all_applied(), timeout=200, what="every batch applied")
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(30)

    expected = expected_state(sent)
    actual = recovered_state()
    assert len(actual) == ENTITIES
    assert all(len(times) == PER_ENTITY for times, *_ in actual.values())
    assert actual == expected
