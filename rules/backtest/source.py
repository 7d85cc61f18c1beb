"""The series history as the events a backtest replays.

The history keeps the newest ``SERIES_HISTORY_RAW_POINTS`` samples of a series as they
came and older ones as one average per minute (rules.history.layout): where a replay
reaches that far, each folded minute is one sample at the minute's start. ``Replayed``
says from when a series is exact.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from rules.engine.rule_filter import compile_patterns
from rules.events import SERIES, Event
from rules.history.query import parse_series_id, points_of, series_ids
from rules.history.reads import reads_client


class BacktestError(ValueError):
    """A backtest that cannot run as asked (a bound reached, a rule the engine refuses);
    ``field`` is the input to change."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


@dataclass
class Replayed:
    """One series replayed: its id parts, its points (time ms, value) in time order and
    the time of its oldest exact sample (None: none left; earlier points are minute
    averages)."""

    metric: str
    entity: str
    tags: dict[str, str]
    points: list[tuple[int, float]] = field(default_factory=list)
    raw_from_ms: int | None = None


def read_series(
    metric: str,
    entity_filter: str,
    start_ms: int,
    end_ms: int,
    *,
    max_series: int,
    max_samples: int,
) -> list[Replayed]:
    """The series of ``metric`` (lower case, as ingest stores it) whose entity passes
    ``entity_filter`` (the rule's patterns; empty: any) with their points in
    ``[start_ms, end_ms]``.

    Raises ``BacktestError`` past ``max_series`` series (field
    ``rule.entity_filter``: a narrower rule) or ``max_samples`` points (field ``hours``:
    a shorter span); ``redis.RedisError`` when the history cannot be read.
    """
    matches = compile_patterns(entity_filter) if entity_filter.strip() else None
    redis = reads_client()  # socket timeouts: a stalled Redis is an error, not a hung page
    now = int(time.time() * 1000)
    found: list[Replayed] = []
    total = 0
    for sid in series_ids(metric, redis=redis):
        name, entity, tags = parse_series_id(sid)
        if matches is not None and not matches(entity):
            continue
        if len(found) == max_series:
            raise BacktestError(
                "rule.entity_filter",
                f"more than {max_series} series of {metric!r} to replay (the limit): "
                "narrow the rule's entity filter",
            )
        points, raw_from = points_of(redis, sid, start_ms, end_ms, now)
        total += len(points)
        if total > max_samples:
            raise BacktestError(
                "hours",
                f"the span holds more than {max_samples} samples of {metric!r} (the limit): "
                "ask for fewer hours",
            )
        if points:
            found.append(Replayed(name, entity, tags, points, raw_from))
    return found


def events_of(series: list[Replayed]) -> list[Event]:
    """Every point as a series event (received at its own time), in time order; points
    of one time in series id order, as one collector line per series would arrive."""
    events = [
        Event(SERIES, s.entity, s.metric, s.tags, t, t, v, line_values={s.metric: v})
        for s in series
        for t, v in s.points
    ]
    events.sort(key=lambda e: e.time_ms)  # stable: series order kept within a time
    return events
