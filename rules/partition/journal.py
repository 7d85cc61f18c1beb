"""One engine partition: its windows in this process, checkpointed to Redis.

Exactly-once application of every batch (design invariant 2):

* Batches wait in the partition's **inbox** stream (rules.partition.inbox). ``pump``
  applies every entry after the last applied one, in order.
* For each applied entry the partition writes, in one MULTI/EXEC: a **journal** line
  (the entry id and the clock reading it was applied with), the trigger events and
  rule errors it produced (the **outbox**), and the new last-applied id. Ticks
  (Check On Exit, delayed OPENs) are journaled the same way.
* The outbox is drained into the database with idempotent writes keyed by
  deterministic event ids, then trimmed.
* Every so often the whole engine state is written as a **snapshot** with the
  last-applied id; the journal is cleared and the inbox trimmed up to it.
* On start a partition loads the snapshot and replays the journal, reading each
  journaled entry from the inbox and applying it with its recorded clock (the engine
  is deterministic given its inputs and clock), drains what the outbox still holds,
  and carries on after the last applied entry. Nothing is applied twice: an entry is
  either in the journal (its effects committed) or not (no effect left the process).
"""

from __future__ import annotations

import heapq
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import orjson

from atsd_alerts import stage_timing
from atsd_alerts.redis import client, key
from rules.alerts.published_windows import publish_windows
from rules.contract.triggers import Decision, TriggerSnapshot, encode_trigger
from rules.engine.engine import Engine
from rules.engine.rule_errors import RuleError
from rules.events import Event
from rules.partition import inbox
from rules.partition.monitoring import window_count_key
from rules.partition.window_summaries import summarize

log = logging.getLogger(__name__)

SNAPSHOT_EVERY_S = 30.0
SNAPSHOT_EVERY_ENTRIES = 500
SUMMARIES_EVERY_S = 5.0
SUMMARY_LIMIT = 5000


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(order=True)
class DelayedOpen:
    due_ms: int
    rule: str = field(compare=False)
    key: list[Any] = field(compare=False)
    action: str = field(compare=False)
    episode: int = field(compare=False)

    def to_list(self) -> list[Any]:
        return [self.due_ms, self.rule, self.key, self.action, self.episode]


@dataclass
class Recovery:
    """What a partition found in Redis when it started: a snapshot (and the fingerprint
    of each rule in it), how many journal entries it replayed, and the journaled entry
    whose inbox batch was missing, if any."""

    snapshot: bool = False
    fingerprints: dict[str, str] = field(default_factory=dict)
    replayed: int = 0
    gap: str | None = None


@dataclass
class Applied:
    """What one journal entry produced: triggers (with their event ids) and errors."""

    triggers: list[tuple[str, TriggerSnapshot]]
    errors: list[RuleError]


class PartitionKeys:
    def __init__(self, partition: int) -> None:
        self.snapshot = key("engine", partition, "snapshot")
        self.journal = key("engine", partition, "journal")
        self.outbox = key("engine", partition, "outbox")
        self.applied = key("engine", partition, "applied")


class Partition:
    """The engine of one partition plus its checkpoint protocol.

    ``store`` persists outbox items (a callable taking the decoded items), so the
    partition logic is testable without a database.
    """

    def __init__(self, number: int, engine: Engine, store: Any) -> None:
        self.number = number
        self.engine = engine
        self.store = store
        self.keys = PartitionKeys(number)
        self.redis = client()
        self.pending: list[DelayedOpen] = []
        self.applied_id = "0"
        self.journal_entries = 0
        self.outbox_waiting = True  # what a previous owner left is drained at recovery
        self.snapshot_at = time.monotonic()
        self.summaries_at = 0.0

    # -- start ---------------------------------------------------------------------

    def recover(self) -> Recovery:
        """Load the snapshot, replay the journal, drain the outbox (see module doc).

        A journal entry whose inbox batch is gone (Redis lost data) ends the replay:
        the entries after it are skipped, never applied again, since their effects
        already left the process; the windows they touched are then lost windows
        (rules.partition.lost_windows).
        """
        found = Recovery()
        raw = self.redis.get(self.keys.snapshot)
        if raw:
            data = orjson.loads(raw)
            self.engine.restore(data["engine"])
            self.pending = [DelayedOpen(*row) for row in data.get("pending", [])]
            heapq.heapify(self.pending)
            self.applied_id = data.get("applied_id", "0")
            found.snapshot = True
            found.fingerprints = {
                name: rule["fingerprint"] for name, rule in data["engine"]["rules"].items()
            }
        lines: list[bytes] = self.redis.lrange(self.keys.journal, 0, -1)  # type: ignore[assignment]
        batches = [line.decode().split(" ")[1] for line in lines if line.startswith(b"b ")]
        for line in lines:
            kind, *parts = line.decode().split(" ")
            if kind == "b":
                entry_id, current = parts[0], int(parts[1])
                rows = inbox.read_one(self.number, entry_id)
                if rows is None:
                    log.error(
                        "partition %d: the inbox lost journaled entry %s; %d journal "
                        "entries from it on are skipped",
                        self.number, entry_id, len(lines) - found.replayed,
                    )  # fmt: skip
                    found.gap = entry_id
                    self.applied_id = batches[-1]
                    break
                self._apply_rows(entry_id, rows, current)
                self.applied_id = entry_id
            else:
                self._apply_tick(int(parts[0]))
            found.replayed += 1
        self.journal_entries = len(lines)
        if found.replayed:
            log.info("partition %d replayed %d journal entries", self.number, found.replayed)
        self.drain()
        return found

    def emit(self, applied: Applied) -> None:
        """Commit triggers and rule errors made outside a batch or a tick (no journal
        line: they change no window) and store them."""
        self._write([], [applied], None)
        self.drain()

    # -- work ----------------------------------------------------------------------

    def pump(self) -> int:
        """Apply every inbox entry after the last applied one; returns triggers made.

        The entries of one inbox read are committed together (one MULTI/EXEC of their
        journal lines, outbox items and last applied id): a crash before it leaves none
        of them committed, and the replay applies them all again.
        """
        made = 0
        inbox.clear_wake_flag(self.number)
        while True:
            started = stage_timing.start()
            entries = inbox.read_after(self.number, self.applied_id)
            stage_timing.stop("inbox read", started, len(entries))
            if not entries:
                break
            lines, results = [], []
            for entry_id, rows in entries:
                current = now_ms()
                results.append(self._apply_rows(entry_id, rows, current))
                lines.append(f"b {entry_id} {current}")
            started = stage_timing.start()
            self._write(lines, results, entries[-1][0])
            stage_timing.stop("journal write", started, len(lines))
            self.applied_id = entries[-1][0]
            made += sum(len(applied.triggers) for applied in results)
            started = stage_timing.start()
            self.drain()
            stage_timing.stop("alert store", started)
        self.maybe_checkpoint()
        return made

    def tick(self) -> int:
        """Pending inbox entries, Check On Exit expiry and due Delay-on-OPEN checks."""
        made = self.pump()
        current = now_ms()
        due = self.pending and self.pending[0].due_ms <= current
        next_exit = self.engine.next_tick_ms()
        if not due and (next_exit is None or next_exit > current):
            return made
        applied = self._apply_tick(current)
        self._write([f"t {current}"], [applied], None)
        self.drain()
        self.maybe_checkpoint()
        return made + len(applied.triggers)

    def replace_rules(self, install: Any) -> int:
        """Run ``install(engine, now)`` (rule reload) and checkpoint at once: the journal
        must never hold entries applied under other rule definitions."""
        current = now_ms()
        triggers = install(self.engine, current)
        applied = Applied(
            [(f"{self.number}:r{current}:{i}", t) for i, t in enumerate(triggers)],
            self.engine.drain_errors(),
        )
        self.emit(applied)
        self.checkpoint()
        return len(triggers)

    # -- internals -------------------------------------------------------------------

    def _apply_rows(self, entry_id: str, payload: bytes, current: int) -> Applied:
        started = stage_timing.start()
        rows: list[list[Any]] = orjson.loads(payload)
        decoded = [(Event.from_wire(wire), names) for wire, names in rows]
        stage_timing.stop("decode", started, len(rows))
        started = stage_timing.start()
        triggers: list[TriggerSnapshot] = []
        run: list[Event] = []
        run_names: list[str] | None = None
        for event, names in decoded:
            if names != run_names:
                self._apply_run(run, run_names, current, triggers)
                run, run_names = [], names
            run.append(event)
        self._apply_run(run, run_names, current, triggers)
        stage_timing.stop("engine", started, len(rows))
        return self._finish(entry_id, triggers, current)

    def _apply_run(
        self, run: list[Event], names: list[str] | None, current: int, out: list[TriggerSnapshot]
    ) -> None:
        """Consecutive events routed to the same rules: one rule takes the run in one
        call; several take it event by event, so each sees the others' state in order."""
        if not run or not names:
            return
        rules = self.engine.rules
        if len(names) == 1:
            runtime = rules.get(names[0])
            if runtime is not None:
                runtime.process_run(run, current, out)
            return
        runtimes = [rt for rt in map(rules.get, names) if rt is not None]
        for event in run:
            for runtime in runtimes:
                runtime.process(event, current, out)

    def _apply_tick(self, current: int) -> Applied:
        engine = self.engine
        triggers = engine.tick(current)
        while self.pending and self.pending[0].due_ms <= current:
            item = heapq.heappop(self.pending)
            trigger = engine.delayed_open(item.rule, item.key, item.action, item.episode, current)
            if trigger is not None:
                triggers.append(trigger)
        return self._finish(f"t{current}", triggers, current)

    def _finish(self, entry_id: str, triggers: list[TriggerSnapshot], current: int) -> Applied:
        for trigger in triggers:
            for outcome in trigger.actions:
                if outcome.decision == Decision.SCHEDULE:
                    heapq.heappush(
                        self.pending,
                        DelayedOpen(
                            current + outcome.countdown_ms,
                            trigger.rule,
                            trigger.key,
                            outcome.action,
                            trigger.episode or 0,
                        ),
                    )
        ids = [f"{self.number}:{entry_id}:{i}" for i in range(len(triggers))]
        return Applied(list(zip(ids, triggers, strict=True)), self.engine.drain_errors())

    def _write(
        self, journal_lines: list[str], results: list[Applied], entry_id: str | None
    ) -> None:
        """Commit journal lines, the outbox items of ``results`` and the last applied id
        in one MULTI/EXEC, retried until Redis takes it."""
        items = [
            orjson.dumps(item)
            for applied in results
            for item in [{"id": i, "trigger": encode_trigger(t)} for i, t in applied.triggers]
            + [{"error": e.to_dict()} for e in applied.errors]
        ]
        while True:
            try:
                pipe = self.redis.pipeline(transaction=True)
                if journal_lines:
                    pipe.rpush(self.keys.journal, *journal_lines)
                if items:
                    pipe.rpush(self.keys.outbox, *items)
                if entry_id is not None:
                    pipe.set(self.keys.applied, entry_id)
                pipe.execute()
                break
            except Exception:
                # Blocking the partition keeps order; nothing of these entries is committed.
                log.exception("partition %d: cannot write the journal; retrying", self.number)
                time.sleep(1)
        self.journal_entries += len(journal_lines)
        self.outbox_waiting = self.outbox_waiting or bool(items)

    def drain(self) -> None:
        """Persist what the outbox holds; on failure it stays for the next call. Only
        this process writes the partition's outbox, so when it wrote nothing since the
        last drain that emptied it, there is nothing to read."""
        if not self.outbox_waiting:
            return
        raw = self.redis.lrange(self.keys.outbox, 0, -1)
        if not raw:
            self.outbox_waiting = False
            return
        try:
            self.store([orjson.loads(item) for item in raw])
        except Exception:
            log.exception("partition %d: storing %d outbox items failed", self.number, len(raw))
            return
        self.redis.ltrim(self.keys.outbox, len(raw), -1)
        self.outbox_waiting = False

    def maybe_checkpoint(self) -> None:
        elapsed = time.monotonic() - self.snapshot_at
        if self.journal_entries >= SNAPSHOT_EVERY_ENTRIES or (
            self.journal_entries and elapsed >= SNAPSHOT_EVERY_S
        ):
            started = stage_timing.start()
            self.checkpoint()
            stage_timing.stop("snapshot", started)
        if time.monotonic() - self.summaries_at >= SUMMARIES_EVERY_S:
            started = stage_timing.start()
            self.publish_summaries()
            stage_timing.stop("window summaries", started)

    def checkpoint(self) -> None:
        data = {
            "engine": self.engine.snapshot(),
            "pending": [item.to_list() for item in self.pending],
            "applied_id": self.applied_id,
        }
        pipe = self.redis.pipeline(transaction=True)
        pipe.set(self.keys.snapshot, orjson.dumps(data))
        pipe.delete(self.keys.journal)
        if self.applied_id != "0":
            # Entries up to the snapshot are no longer needed for a replay.
            pipe.xtrim(inbox.inbox_key(self.number), minid=self.applied_id, approximate=False)
        pipe.execute()
        self.journal_entries = 0
        self.snapshot_at = time.monotonic()

    def publish_summaries(self) -> None:
        self.summaries_at = time.monotonic()
        publish_windows(self.number, summarize(self.engine, self.number, SUMMARY_LIMIT))
        self.redis.set(window_count_key(self.number), self.window_count())

    def window_count(self) -> int:
        return sum(len(runtime.windows) for runtime in self.engine.rules.values())
