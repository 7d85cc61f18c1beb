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
* Every so often the partition writes a **snapshot**: the windows made or changed
  since the last one (one record each, rules.engine.window_codec) and a small head
  with the last-applied id, the rules' fingerprints and the pending delayed OPENs.
  Each rule's records live in a Redis hash of their own. The changed records are
  first written in pipelined chunks to a staging hash per rule, which no recovery
  reads; then one MULTI/EXEC merges each staging hash into its rule's hash (a rule
  whose windows were replaced, by a drop or a change or a restore short of its
  windows limit, gets the staging hash as its whole hash instead; a rule gone loses
  its hash), sets the head, clears the journal and trims the inbox up to that id. A
  checkpoint's work is the windows that changed, and neither Redis nor the partition
  holds more than a chunk of them at a time beyond the records themselves.
* On start a partition loads the snapshot and replays the journal, reading each
  journaled entry from the inbox and applying it with its recorded clock (the engine
  is deterministic given its inputs and clock), drains what the outbox still holds,
  and carries on after the last applied entry. Nothing is applied twice: an entry is
  either in the journal (its effects committed) or not (no effect left the process).
"""

from __future__ import annotations

import hashlib
import heapq
import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import orjson

from atsd_alerts import stage_timing
from atsd_alerts.metrics.tally import INBOX_APPLIED, TRIGGERS_EVALUATED, Tally
from atsd_alerts.redis import client, key
from rules.alerts.published_windows import publish_windows
from rules.contract.triggers import Decision, TriggerSnapshot, encode_trigger
from rules.engine.engine import Engine
from rules.engine.grouping import key_from_json
from rules.engine.rule_errors import RuleError
from rules.engine.rule_runtime import RuleRuntime
from rules.engine.status import CANCEL
from rules.engine.window_codec import decode_window, encode_window, window_field
from rules.engine.window_runtime import WindowRuntime
from rules.events import Event
from rules.partition import inbox
from rules.partition.monitoring import window_count_key
from rules.partition.window_summaries import active_windows, still_active, summarize

log = logging.getLogger(__name__)

SNAPSHOT_EVERY_S = 30.0
SNAPSHOT_EVERY_ENTRIES = 500
SUMMARIES_EVERY_S = 5.0
SUMMARY_LIMIT = 5000
# Window records per HSET command of a checkpoint, and per HSCAN page of a recovery:
# Redis serves other clients between commands.
RECORDS_PER_COMMAND = 1000
# Merges a staging hash (KEYS[1]) into a rule's hash (KEYS[2]) a page at a time, then
# removes it; runs inside the checkpoint's MULTI/EXEC.
MERGE_STAGED = """
local cursor = "0"
repeat
  local page = redis.call("HSCAN", KEYS[1], cursor, "COUNT", 1000)
  cursor = page[1]
  local pairs = page[2]
  for i = 1, #pairs, 200 do
    redis.call("HSET", KEYS[2], unpack(pairs, i, math.min(i + 199, #pairs)))
  end
until cursor == "0"
redis.call("UNLINK", KEYS[1])
return 0
"""
# The snapshot head's format; version 1 was the whole engine state in one JSON value
# under the same key, still read (Engine.restore) so that an upgrade loses no window.
SNAPSHOT_VERSION = 2


def now_ms() -> int:
    return int(time.time() * 1000)


def routed_ms(entry_id: str) -> int:
    """When an inbox entry was appended: Redis names stream entries ``<ms>-<seq>``."""
    return int(entry_id.partition("-")[0])


def stamp_stages(triggers: list[TriggerSnapshot], routed: int | None, evaluated: int) -> None:
    """Record on each trigger when its batch was routed and when the engine was done."""
    for trigger in triggers:
        trigger.routed_time = routed
        trigger.evaluated_time = evaluated


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
        self.partition = partition
        self.snapshot = key("engine", partition, "snapshot")
        self.journal = key("engine", partition, "journal")
        self.outbox = key("engine", partition, "outbox")
        self.applied = key("engine", partition, "applied")

    def rule_windows(self, rule: str) -> str:
        """The hash of ``rule``'s window records (named by a digest: rule names are
        free text)."""
        digest = hashlib.sha1(rule.encode(), usedforsecurity=False).hexdigest()[:20]
        return key("engine", self.partition, "snapshot", digest)

    def staged_windows(self, rule: str) -> str:
        """Where a checkpoint writes ``rule``'s changed records before it commits."""
        return self.rule_windows(rule) + ":staged"


def _chunks(items: Iterable[WindowRuntime], size: int) -> Iterator[list[WindowRuntime]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


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
        # The windows dict each rule's records in Redis were written from. A rule whose
        # dict is another one now (dropped and installed again, or changed: the engine
        # keeps the dict only for the same fingerprint) gets its hash rewritten whole.
        self.saved: dict[str, dict[Any, WindowRuntime]] = {}
        # Rules with a hash of window records in Redis (removed when the rule is gone).
        self.stored: set[str] = set()
        # Windows that triggers made OPEN/REPEAT (some may be CANCEL again), for the
        # window summaries; None until the first publication scans for them.
        self.active: set[tuple[str, WindowRuntime]] | None = None

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
            if data.get("version") == SNAPSHOT_VERSION:
                found.fingerprints = data["rules"]
                self.stored = set(found.fingerprints)
                self._load_windows(found.fingerprints)
            else:  # the whole-state format: rewritten whole at the next checkpoint
                self.engine.restore(data["engine"])
                found.fingerprints = {
                    name: rule["fingerprint"] for name, rule in data["engine"]["rules"].items()
                }
            self.pending = [DelayedOpen(*row) for row in data.get("pending", [])]
            heapq.heapify(self.pending)
            self.applied_id = data.get("applied_id", "0")
            found.snapshot = True
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

    def _load_windows(self, fingerprints: dict[str, str]) -> None:
        """Read each installed rule's window records, if its fingerprint is the one they
        were written under (otherwise the rule change dropped them, spec §3.9)."""
        cap = self.engine.max_windows
        for name, fingerprint in fingerprints.items():
            runtime = self.engine.rules.get(name)
            if runtime is None or runtime.fingerprint != fingerprint:
                continue
            complete = True
            for record_name, record in self.redis.hscan_iter(
                self.keys.rule_windows(name), count=RECORDS_PER_COMMAND
            ):
                if cap is not None and len(runtime.windows) >= cap:
                    # A lowered limit holds across a restart; the partition closes the
                    # alerts of windows left out (rules.partition.lost_windows).
                    complete = False
                    break
                decode_window(runtime, record_name, record)
            runtime.changed.clear()  # as in Redis
            if complete:
                self.saved[name] = runtime.windows

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
        if triggers:
            stamp_stages(triggers, routed_ms(entry_id), now_ms())
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
        stamp_stages(triggers, None, current)
        return self._finish(f"t{current}", triggers, current)

    def _finish(self, entry_id: str, triggers: list[TriggerSnapshot], current: int) -> Applied:
        active = self.active
        for trigger in triggers:
            if active is not None and trigger.status != CANCEL:
                runtime = self.engine.rules.get(trigger.rule)
                wr = runtime.find_window(key_from_json(trigger.key)) if runtime else None
                if wr is not None:
                    active.add((trigger.rule, wr))
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
        tally = Tally()
        tally.count(INBOX_APPLIED, sum(line[0] == "b" for line in journal_lines),
                    partition=self.number)  # fmt: skip
        for applied in results:
            for _, trigger in applied.triggers:
                tally.count(TRIGGERS_EVALUATED, status=trigger.status)
        while True:
            try:
                pipe = self.redis.pipeline(transaction=True)
                if journal_lines:
                    pipe.rpush(self.keys.journal, *journal_lines)
                if items:
                    pipe.rpush(self.keys.outbox, *items)
                if entry_id is not None:
                    pipe.set(self.keys.applied, entry_id)
                tally.add_to(pipe)  # in the same transaction: counted once, with the entry
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
        """Stage the windows changed since the last checkpoint, then commit them with the
        snapshot head, clear the journal and trim the inbox (see the module doc)."""
        commit = self.redis.pipeline(transaction=True)
        fingerprints: dict[str, str] = {}
        for name, runtime in self.engine.rules.items():
            fingerprints[name] = runtime.fingerprint
            self._stage_windows(commit, name, runtime)
        for name in self.stored - fingerprints.keys():
            commit.unlink(self.keys.rule_windows(name))
        head = {
            "version": SNAPSHOT_VERSION,
            "rules": fingerprints,
            "pending": [item.to_list() for item in self.pending],
            "applied_id": self.applied_id,
        }
        commit.set(self.keys.snapshot, orjson.dumps(head))
        commit.delete(self.keys.journal)
        if self.applied_id != "0":
            # Entries up to the snapshot are no longer needed for a replay.
            commit.xtrim(inbox.inbox_key(self.number), minid=self.applied_id, approximate=False)
        commit.execute()
        self.saved = {}
        for name, runtime in self.engine.rules.items():
            runtime.changed.clear()
            self.saved[name] = runtime.windows
        self.stored = set(fingerprints)
        self.journal_entries = 0
        self.snapshot_at = time.monotonic()

    def _stage_windows(self, commit: Any, name: str, runtime: RuleRuntime) -> None:
        """Write the records of ``runtime``'s changed windows, or of all of them when
        the hash was written from another windows dict, to the rule's staging hash,
        and queue on ``commit`` what makes them the rule's records."""
        live, staged = self.keys.rule_windows(name), self.keys.staged_windows(name)
        whole = self.saved.get(name) is not runtime.windows
        windows: Iterable[WindowRuntime] = runtime.windows.values() if whole else runtime.changed
        pipe = self.redis.pipeline(transaction=False)
        pipe.unlink(staged)  # what a checkpoint that died before its commit left
        written = 0
        for chunk in _chunks(windows, RECORDS_PER_COMMAND):
            pipe.hset(staged, mapping={window_field(wr): encode_window(wr) for wr in chunk})
            written += len(chunk)
            if len(pipe) >= 8:
                pipe.execute()
        pipe.execute()
        if whole:
            commit.unlink(live)
            if written:
                commit.rename(staged, live)
        elif written:
            commit.eval(MERGE_STAGED, 2, staged, live)

    def publish_summaries(self) -> None:
        self.summaries_at = time.monotonic()
        if self.active is None:
            self.active = active_windows(self.engine)
        self.active = still_active(self.engine, self.active)
        publish_windows(
            self.number, summarize(self.engine, self.number, SUMMARY_LIMIT, self.active)
        )
        self.redis.set(window_count_key(self.number), self.window_count())

    def window_count(self) -> int:
        return sum(len(runtime.windows) for runtime in self.engine.rules.values())
