"""What every ingest surface does with parsed events: registries, then the engine queues.

A hand-off is all or nothing for the events it lands. When something refuses a batch
for good (the database refuses a name, see :mod:`rules.faults`), the batch is
split in halves until the events at fault stand alone: the others land, those are
refused with the reason, and nothing stalls. When a service is unavailable (Redis or
the database down) the hand-off stops with :class:`Unavailable`, saying how many events
at the front were dealt with, so the caller retries the rest and holds back new input.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.conf import settings

from atsd_alerts import stage_timing
from rules.events import SERIES, Event
from rules.faults import describe, is_transient
from rules.history.recorder import record as record_history
from rules.ingest.names import names
from rules.partition.monitoring import count_commands
from rules.routing.handoff import submit
from rules.stores import entities, messages, properties

log = logging.getLogger(__name__)

REFUSALS_LOGGED = 10  # per hand-off; the rest are counted in one line


@dataclass
class HandOffResult:
    batches: int = 0
    # (index into the events handed off, reason) of each event refused for good.
    refused: list[tuple[int, str]] = field(default_factory=list)


class Unavailable(Exception):
    """A service the hand-off needs is unavailable; retry ``events[done:]`` later."""

    def __init__(self, done: int, cause: BaseException) -> None:
        super().__init__(f"{describe(cause)} ({done} events handed off before it failed)")
        self.done = done


def server_event(metric: str, value: float, tags: Mapping[str, str] | None = None) -> Event:
    """A sample of this server's own (``SERVER_ENTITY``) taken now: timers and self-metrics."""
    now = int(time.time() * 1000)
    return Event(
        kind=SERIES, entity=settings.SERVER_ENTITY, metric=metric, tags=dict(tags or {}),
        time_ms=now, receive_ms=now, value=value, line_values={metric: value},
    )  # fmt: skip


def hand_off(events: list[Event], commands: int | None = None) -> HandOffResult:
    """Register names, drop events of disabled entities/metrics, publish the rest.

    ``commands`` is how many network commands the events came from (self-monitoring);
    by default one per event. Accepted samples are also queued for the chart
    history (a non-blocking append; see ``rules.history.recorder``). Raises
    :class:`Unavailable` on a transient failure.
    """
    result = HandOffResult()
    _land(events, 0, len(events), result)
    if result.refused:
        _log_refused(events, result.refused)
    count_commands(len(events) if commands is None else commands)
    return result


def _deliver(events: list[Event]) -> int:
    started = stage_timing.start()
    accepted = names.observe(entities.apply(events))
    # Stored before the engine sees them, so functions read what came with the event.
    properties.record(accepted)
    messages.record(accepted)
    stage_timing.stop("registries", started, len(events))
    sent = submit(accepted)
    started = stage_timing.start()
    record_history(accepted)
    stage_timing.stop("chart history", started, len(accepted))
    return sent


def _land(events: list[Event], start: int, end: int, result: HandOffResult) -> None:
    """Deliver ``events[start:end]``, bisecting around events that are refused for good."""
    try:
        part = events if start == 0 and end == len(events) else events[start:end]
        result.batches += _deliver(part)
    except Exception as exc:
        if is_transient(exc):
            raise Unavailable(start, exc) from exc
        if end - start == 1:
            result.refused.append((start, f"refused by the database: {describe(exc)}"))
            return
        middle = (start + end) // 2
        _land(events, start, middle, result)
        _land(events, middle, end, result)


def _log_refused(events: list[Event], refused: list[tuple[int, str]]) -> None:
    for index, reason in refused[:REFUSALS_LOGGED]:
        event = events[index]
        log.warning(
            "dropped a %s event of entity %.80r, metric %.80r: %s",
            event.kind, event.entity, event.metric, reason,
        )  # fmt: skip
    if len(refused) > REFUSALS_LOGGED:
        log.warning("dropped %d more refused events", len(refused) - REFUSALS_LOGGED)
