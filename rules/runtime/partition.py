"""One engine partition: its windows in this process, checkpointed to Redis.

Durability (design invariant 2) without replaying anything twice:

* Every applied batch (and every tick) is appended to the partition's **journal** in
  Redis together with the clock reading it was applied with, the trigger events it
  produced go to the **outbox**, and its id to the recent-batch list, all in one
  MULTI/EXEC. Only then is the Celery message acknowledged.
* The outbox is drained into the database (alerts, history, trigger records) with
  idempotent writes keyed by deterministic event ids, then trimmed.
* Every so often the whole engine state is written as a **snapshot** and the journal
  is cleared in the same transaction.
* On start, a partition loads the snapshot, replays the journal with the recorded
  clock readings (the engine is deterministic given its inputs and clock), drains
  what the outbox still holds, and from then on skips any redelivered batch whose id
  it has already applied.
"""

from __future__ import annotations

import heapq
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from rules.engine.actions import Decision
from rules.engine.evaluator import Engine, RuleError, TriggerEvent
from rules.ingest.events import Event
from rules.runtime.redis_client import client, key

log = logging.getLogger(__name__)

RECENT_BATCHES = 1000
SNAPSHOT_EVERY_S = 30.0
SNAPSHOT_EVERY_ENTRIES = 200
SUMMARIES_EVERY_S = 2.0
SUMMARY_LIMIT = 5000


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(order=True)
class DelayedOpen:
    due_ms: int
    rule: str = field(compare=False)
    key: list = field(compare=False)
    action: str = field(compare=False)
    episode: int = field(compare=False)

    def to_list(self) -> list:
        return [self.due_ms, self.rule, self.key, self.action, self.episode]


@dataclass
class Applied:
    """What one journal entry produced: triggers (with their event ids) and errors."""

    triggers: list[tuple[str, TriggerEvent]]
    errors: list[RuleError]


class PartitionKeys:
    def __init__(self, partition: int) -> None:
        self.snapshot = key("engine", partition, "snapshot")
        self.journal = key("engine", partition, "journal")
        self.outbox = key("engine", partition, "outbox")
        self.recent = key("engine", partition, "recent")


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
        self.recent: set[str] = set()
        self.journal_entries = 0
        self.snapshot_at = time.monotonic()
        self.summaries_at = 0.0

    # -- start ---------------------------------------------------------------------

    def recover(self) -> None:
        """Load the snapshot, replay the journal, drain the outbox (see module doc)."""
        raw = self.redis.get(self.keys.snapshot)
        if raw:
            data = json.loads(raw)
            self.engine.restore(data["engine"])
            self.pending = [DelayedOpen(*row) for row in data.get("pending", [])]
            heapq.heapify(self.pending)
        entries = self.redis.lrange(self.keys.journal, 0, -1)
        for raw_entry in entries:
            self._apply(json.loads(raw_entry))  # effects already in the outbox or database
        self.journal_entries = len(entries)
        self.recent = {r.decode() for r in self.redis.lrange(self.keys.recent, 0, -1)}
        if entries:
            log.info("partition %d replayed %d journal entries", self.number, len(entries))
        self.drain()

    # -- work ----------------------------------------------------------------------

    def apply_batch(self, batch_id: str, rows: list[list] | str) -> int:
        """Apply a batch once; returns the number of trigger events it produced.

        ``rows`` may come as the JSON text ingest published: the journal then stores
        that text as it is instead of encoding the rows a second time.
        """
        if batch_id in self.recent:
            log.info("partition %d: batch %s already applied, skipped", self.number, batch_id)
            return 0
        current = now_ms()
        if isinstance(rows, str):
            raw = f'{{"b":{json.dumps(batch_id)},"now":{current},"rows":{rows}}}'
            return self._commit({"b": batch_id, "now": current, "rows": json.loads(rows)}, raw)
        return self._commit({"b": batch_id, "now": current, "rows": rows})

    def tick(self) -> int:
        """Check On Exit expiry and due Delay-on-OPEN checks."""
        current = now_ms()
        due = self.pending and self.pending[0].due_ms <= current
        next_exit = self.engine.next_tick_ms()
        if not due and (next_exit is None or next_exit > current):
            self.maybe_checkpoint()
            return 0
        return self._commit({"t": current})

    def replace_rules(self, install: Any) -> int:
        """Run ``install(engine, now)`` (rule reload) and checkpoint at once: the journal
        must never hold entries applied under other rule definitions."""
        current = now_ms()
        triggers = install(self.engine, current)
        applied = Applied(
            [(f"{self.number}:r{current}:{i}", t) for i, t in enumerate(triggers)],
            self.engine.drain_errors(),
        )
        self._write(None, applied, None)
        self.drain()
        self.checkpoint()
        return len(triggers)

    # -- internals -------------------------------------------------------------------

    def _apply(self, entry: dict) -> Applied:
        engine = self.engine
        current = entry["now"] if "now" in entry else entry["t"]
        triggers: list[TriggerEvent] = []
        if "rows" in entry:
            rules = engine.rules
            for wire, names in entry["rows"]:
                event = Event.from_wire(wire)
                for name in names:
                    runtime = rules.get(name)
                    if runtime is not None:
                        runtime.process(event, current, triggers)
        else:
            triggers.extend(engine.tick(current))
            while self.pending and self.pending[0].due_ms <= current:
                item = heapq.heappop(self.pending)
                trigger = engine.delayed_open(
                    item.rule, item.key, item.action, item.episode, current
                )
                if trigger is not None:
                    triggers.append(trigger)
        for trigger in triggers:
            for outcome in trigger.actions:
                if outcome.decision == Decision.SCHEDULE.value:
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
        entry_id = entry.get("b") or f"t{current}"
        ids = [f"{self.number}:{entry_id}:{i}" for i in range(len(triggers))]
        return Applied(list(zip(ids, triggers, strict=True)), engine.drain_errors())

    def _commit(self, entry: dict, raw_entry: str | None = None) -> int:
        applied = self._apply(entry)
        self._write(raw_entry or json.dumps(entry), applied, entry.get("b"))
        self.drain()
        self.maybe_checkpoint()
        return len(applied.triggers)

    def _write(self, entry: str | None, applied: Applied, batch_id: str | None) -> None:
        items = [json.dumps({"id": i, "trigger": t.to_dict()}) for i, t in applied.triggers]
        items += [json.dumps({"error": e.to_dict()}) for e in applied.errors]
        while True:
            try:
                pipe = self.redis.pipeline(transaction=True)
                if entry is not None:
                    pipe.rpush(self.keys.journal, entry)
                if items:
                    pipe.rpush(self.keys.outbox, *items)
                if batch_id is not None:
                    pipe.lpush(self.keys.recent, batch_id)
                    pipe.ltrim(self.keys.recent, 0, RECENT_BATCHES - 1)
                pipe.execute()
                break
            except Exception:
                # Blocking the partition keeps order; the message stays unacknowledged.
                log.exception("partition %d: cannot write the journal; retrying", self.number)
                time.sleep(1)
        if entry is not None:
            self.journal_entries += 1
        if batch_id is not None:
            self.recent.add(batch_id)
            if len(self.recent) > 2 * RECENT_BATCHES:
                keep = self.redis.lrange(self.keys.recent, 0, -1)
                self.recent = {r.decode() for r in keep}

    def drain(self) -> None:
        """Persist what the outbox holds; on failure it stays for the next call."""
        raw = self.redis.lrange(self.keys.outbox, 0, -1)
        if not raw:
            return
        try:
            self.store([json.loads(item) for item in raw])
        except Exception:
            log.exception("partition %d: storing %d outbox items failed", self.number, len(raw))
            return
        self.redis.ltrim(self.keys.outbox, len(raw), -1)

    def maybe_checkpoint(self) -> None:
        elapsed = time.monotonic() - self.snapshot_at
        if self.journal_entries >= SNAPSHOT_EVERY_ENTRIES or (
            self.journal_entries and elapsed >= SNAPSHOT_EVERY_S
        ):
            self.checkpoint()
        if time.monotonic() - self.summaries_at >= SUMMARIES_EVERY_S:
            self.publish_summaries()

    def checkpoint(self) -> None:
        data = {
            "engine": self.engine.snapshot(),
            "pending": [item.to_list() for item in self.pending],
        }
        pipe = self.redis.pipeline(transaction=True)
        pipe.set(self.keys.snapshot, json.dumps(data))
        pipe.delete(self.keys.journal)
        pipe.execute()
        self.journal_entries = 0
        self.snapshot_at = time.monotonic()

    def publish_summaries(self) -> None:
        from rules.runtime.monitoring import window_count_key
        from rules.runtime.summaries import summarize
        from rules.runtime.window_view import publish_windows

        self.summaries_at = time.monotonic()
        publish_windows(self.number, summarize(self.engine, self.number, SUMMARY_LIMIT))
        self.redis.set(window_count_key(self.number), self.window_count())

    def window_count(self) -> int:
        return sum(len(runtime.windows) for runtime in self.engine.rules.values())
