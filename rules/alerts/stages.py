"""The stages of a trigger: sample received → routed → evaluated → stored → sent.

``received`` is when the listener or the HTTP API accepted the sample (carried with
the event), ``routed`` when its batch was appended to the partition's inbox,
``evaluated`` when the engine was done with that batch, ``stored`` when the alert store
wrote the trigger record, and ``sent`` when each notification got its answer (the
notifications app, through :mod:`rules.contract.sent_times`). The same stages feed the
latency histograms (:mod:`atsd_alerts.metrics`) and the alert details page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

from django.utils import timezone

from atsd_alerts.metrics.tally import STAGE_LATENCY, TRIGGERS_STORED, Tally
from rules.contract.sent_times import sent_times
from rules.contract.triggers import TriggerFormatError, TriggerSnapshot, decode_trigger
from rules.models import Alert, TriggerRecord

RECEIVED = "received"
ROUTED = "routed"
EVALUATED = "evaluated"
STORED = "stored"
SENT = "sent"

# Triggers of one alert shown on its page: the OPEN and the latest REPEATs.
TRIGGERS_SHOWN = 10

Stages = list[tuple[str, int | None]]


def trigger_stages(trigger: TriggerSnapshot, stored_ms: int | None) -> Stages:
    """(stage, Unix ms or None when unknown) up to ``stored``, in pipeline order."""
    return [
        (RECEIVED, trigger.received_time),
        (ROUTED, trigger.routed_time),
        (EVALUATED, trigger.evaluated_time),
        (STORED, stored_ms),
    ]


def stage_latencies(stages: Stages) -> list[tuple[str, int]]:
    """(stage, ms since the stage before it) wherever both times are known."""
    return [
        (name, at - before)
        for (_, before), (name, at) in pairwise(stages)
        if before is not None and at is not None
    ]


def as_ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


def count_stored(tally: Tally, trigger: TriggerSnapshot, stored: datetime) -> None:
    """A stored trigger into the counters and the per-stage latency histograms."""
    tally.count(TRIGGERS_STORED, status=trigger.status)
    for stage, ms in stage_latencies(trigger_stages(trigger, as_ms(stored))):
        tally.observe_ms(STAGE_LATENCY, ms, stage=stage)


@dataclass(frozen=True)
class StageRow:
    """One stage as the page shows it: its time and the ms since received / the stage
    before (None where either is unknown)."""

    stage: str
    time: str
    since_received_ms: int | None
    since_previous_ms: int | None


@dataclass(frozen=True)
class TriggerStageTable:
    status: str
    repeat_count: int
    rows: list[StageRow]


def _time_text(ms: int) -> str:
    moment = datetime.fromtimestamp(ms / 1000, tz=timezone.get_current_timezone())
    return moment.isoformat(timespec="milliseconds")


def _rows(stages: Stages) -> list[StageRow]:
    """Display rows; "since the stage before" only where that stage's time is known
    (a trigger made by a tick has no routed time), every send measured from stored."""
    received = stages[0][1]
    rows: list[StageRow] = []
    previous: int | None = None
    for stage, at in stages:
        since_received = None if at is None or received is None else at - received
        since_previous = None if at is None or previous is None else at - previous
        rows.append(StageRow(stage, "" if at is None else _time_text(at), since_received,
                             since_previous))  # fmt: skip
        if not stage.startswith(SENT):
            previous = at
    return rows


def alert_stage_tables(alert: Alert) -> list[TriggerStageTable]:
    """The stages of the alert's latest triggers of its current episode, oldest first;
    ``sent`` once per notification sent."""
    records = list(
        TriggerRecord.objects.filter(
            rule=alert.rule, window_key=alert.window_key, data__episode=alert.episode
        ).order_by("-id")[:TRIGGERS_SHOWN]
    )
    sends = sent_times([r.event_id for r in records])
    tables = []
    for record in reversed(records):
        try:
            trigger = decode_trigger(record.data)
        except TriggerFormatError:
            continue  # written by another build; the page shows the ones it can read
        stages = trigger_stages(trigger, as_ms(record.created))
        stages += [(f"{SENT} ({what})", at) for what, at in sends.get(record.event_id, [])]
        tables.append(TriggerStageTable(trigger.status, trigger.repeat_count, _rows(stages)))
    return tables
