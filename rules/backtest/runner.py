"""The replay: a rule's definition run over events in a sandbox engine, with the clock
the samples give.

The engine sees what a partition would have seen had the samples arrived as they were
stamped: each event is applied at ``now`` = its time (never moving back), Check On Exit
expiries and Delay-on-OPEN countdowns come due between samples at the times they would
have, and the end of the span runs the last ones. Nothing leaves the sandbox.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from rules.backtest.limits import BacktestLimits
from rules.backtest.sandbox import SandboxStoreReads, sandbox_engine
from rules.backtest.source import BacktestError, Replayed, events_of, read_series
from rules.contract.triggers import Decision, TriggerSnapshot
from rules.engine.definition import RuleDefinition
from rules.engine.engine import Engine
from rules.engine.rule_errors import RuleError
from rules.engine.rule_filter import data_type_of
from rules.events import SERIES, Event

HOUR_MS = 3_600_000
DEADLINE_EVERY = 256  # events between two looks at the time limit


@dataclass
class WindowSummary:
    """One window at the end of the replay: its key, status, and how many of each
    trigger it made."""

    key: str
    entity: str | None
    tags: dict[str, str]
    status: str
    samples: int
    counts: dict[str, int]


@dataclass
class Replay:
    """What a replay did: ``triggers`` (the first ``max_triggers``, in order;
    ``triggers_total`` counts them all), the windows at the end, the rule errors, the
    samples applied, ``stopped``: why the replay ended before ``end_ms`` ("" when it did
    not), and ``reads``: the sandbox's stores (its locks), for rendering messages."""

    rule: str
    start_ms: int
    end_ms: int
    series: list[Replayed] = field(default_factory=list)
    triggers: list[TriggerSnapshot] = field(default_factory=list)
    triggers_total: int = 0
    windows: list[WindowSummary] = field(default_factory=list)
    errors: list[RuleError] = field(default_factory=list)
    samples: int = 0
    stopped: str = ""
    reads: SandboxStoreReads = field(default_factory=SandboxStoreReads)


@dataclass(order=True)
class _Countdown:
    due_ms: int
    seq: int
    rule: str = field(compare=False)
    key: list[object] = field(compare=False)
    action: str = field(compare=False)
    episode: int = field(compare=False)


class _Clock:
    """The sandbox's ``now``, its pending Delay-on-OPEN countdowns, and what it kept."""

    def __init__(self, engine: Engine, reads: SandboxStoreReads, out: Replay, keep: int) -> None:
        self.engine, self.reads, self.out, self.keep = engine, reads, out, keep
        self.now = 0
        self.pending: list[_Countdown] = []
        self.seq = 0

    def advance(self, to_ms: int) -> None:
        """Run the expiries and countdowns due up to ``to_ms`` at their own times."""
        while True:
            due = self.engine.next_tick_ms()
            if self.pending and (due is None or self.pending[0].due_ms < due):
                due = self.pending[0].due_ms
            if due is None or due > to_ms:
                break
            self.move(max(due, self.now))
            triggers = self.engine.tick(self.now)
            while self.pending and self.pending[0].due_ms <= self.now:
                item = heapq.heappop(self.pending)
                found = self.engine.delayed_open(
                    item.rule, list(item.key), item.action, item.episode, self.now
                )
                if found is not None:
                    triggers.append(found)
            self.take(triggers)
        self.move(max(to_ms, self.now))

    def move(self, now: int) -> None:
        self.now = self.reads.now_ms = now

    def take(self, triggers: Sequence[TriggerSnapshot]) -> None:
        for trigger in triggers:
            for outcome in trigger.actions:
                if outcome.decision == Decision.SCHEDULE:
                    self.seq += 1
                    heapq.heappush(
                        self.pending,
                        _Countdown(
                            self.now + outcome.countdown_ms, self.seq, trigger.rule,
                            list(trigger.key), outcome.action, trigger.episode or 0,
                        ),
                    )  # fmt: skip
            self.out.triggers_total += 1
            if len(self.out.triggers) < self.keep:
                self.out.triggers.append(trigger)


def replay(
    definition: RuleDefinition,
    events: Sequence[Event],
    end_ms: int,
    limits: BacktestLimits,
    *,
    start_ms: int | None = None,
) -> Replay:
    """Run ``definition`` (enabled or not) over ``events`` (time order) up to ``end_ms``
    in a sandbox engine. Raises ``BacktestError`` (field ``rule``) for a rule the
    engine cannot install."""
    first = events[0].time_ms if events else end_ms
    out = Replay(definition.name, first if start_ms is None else start_ms, end_ms)
    reads = out.reads
    engine = sandbox_engine(limits.max_windows, reads)
    try:
        engine.install(replace(definition, enabled=True))
    except Exception as exc:  # what the partitions would report as "rule not installed"
        raise BacktestError("rule", f"the rule cannot run: {exc}") from exc
    clock = _Clock(engine, reads, out, limits.max_triggers)
    clock.move(out.start_ms)
    deadline = time.monotonic() + limits.time_limit_s
    for i, event in enumerate(events):
        if i % DEADLINE_EVERY == 0 and i and time.monotonic() > deadline:
            out.stopped = (
                f"the time limit of {limits.time_limit_s:g} s was reached after {i} samples: "
                "the sequence is complete up to the last one"
            )
            break
        clock.advance(event.time_ms)
        clock.take(engine.process(event, clock.now))
        out.samples += 1
    else:
        clock.advance(end_ms)
    out.errors = engine.drain_errors()
    out.windows = _windows(engine, definition.name, out.triggers)
    return out


def _windows(engine: Engine, rule: str, triggers: list[TriggerSnapshot]) -> list[WindowSummary]:
    counts: dict[str, dict[str, int]] = {}
    for trigger in triggers:
        per = counts.setdefault(trigger.window_key, {"OPEN": 0, "REPEAT": 0, "CANCEL": 0})
        per[trigger.status] = per.get(trigger.status, 0) + 1
    none = {"OPEN": 0, "REPEAT": 0, "CANCEL": 0}
    summaries = []
    for wr in engine.rules[rule].windows.values():
        key, samples = wr.display, len(wr.window.times())
        entity, tags = wr.key[2], dict(wr.key[3])
        summaries.append(
            WindowSummary(
                key, entity, tags, wr.state.status, samples, counts.get(key) or dict(none)
            )
        )
    return summaries


def run_backtest(definition: RuleDefinition, hours: int, limits: BacktestLimits) -> Replay:
    """Replay ``definition`` over the last ``hours`` of the series history.

    Raises ``BacktestError`` for hours out of ``1..max_hours``, a rule the engine
    cannot install, a rule that does not read series (messages and properties are not
    in the series history), or a span over the limits.
    """
    if not 1 <= hours <= limits.max_hours:
        raise BacktestError("hours", f"hours must be from 1 to {limits.max_hours}")
    kind, metric = data_type_of(definition.metric)
    if kind != SERIES:
        raise BacktestError(
            "metric", "only series rules can be replayed: the history keeps numeric series"
        )
    end_ms = int(time.time() * 1000)
    start_ms = end_ms - hours * HOUR_MS
    series = read_series(
        metric, definition.entity_filter, start_ms, end_ms,
        max_series=limits.max_series, max_samples=limits.max_samples,
    )  # fmt: skip
    out = replay(definition, events_of(series), end_ms, limits, start_ms=start_ms)
    out.series = series
    return out
