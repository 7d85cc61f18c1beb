"""Reads of stored series and alert history (spec §4.6 SHOULD): ``db_last``,
``db_statistic``, ``db_statistics``, ``last_open``; and the named locks ``lock`` and
``unlock``, kept in the same shared store.

They read through the ``StoreReads`` found under ``ctx.lookup("store_reads")``
(rules.expressions.context), never the database directly. The series history
reaches back ``SERIES_HISTORY_HOURS`` (``StoreReads.reach_ms``): a statistic over
an interval longer than that is NaN rather than a figure over part of it.

Where an interval reaches past the samples a series keeps (its newest
``SERIES_HISTORY_RAW_POINTS``) into minutes kept as aggregates, ``count``, ``sum``,
``avg``, ``min``, ``max`` and ``last`` are still exact; the statistics that need
every sample (percentiles, ``stdDev``, ``counter``, ``slope``...) are NaN.

Series selection [decision, spec §4.6]: metric, entity and tags default to the
current command's; ``tags`` is ``'k=v,k2=v2'``, ``''`` (a series without tags), a
map, or ``tags``; a value ``*`` matches any value. The series' tag names must be
exactly the given ones, so that one series matches; several matching is an error.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from itertools import pairwise
from typing import Any

from rules.expressions.errors import EvaluationError
from rules.expressions.functions.registry import REGISTRY, register
from rules.expressions.functions.statistics import parse_interval_ms
from rules.expressions.points_window import PointsWindow
from rules.expressions.semantics import text_of
from rules.expressions.values import Record

NAN = math.nan
# A minute the series history keeps only as an aggregate: (start ms, count, sum, min,
# max, last) (see rules.history.layout).
Minute = tuple[int, int, float, float, float, float]

# The percentiles of db_statistics, as (field suffix, p): percentile99_9 … percentile0_1.
PERCENTILES = (
    ("99_9", 99.9), ("99_5", 99.5), ("99", 99.0), ("95", 95.0), ("90", 90.0),
    ("75", 75.0), ("50", 50.0), ("25", 25.0), ("10", 10.0), ("5", 5.0), ("1", 1.0),
    ("0_5", 0.5), ("0_1", 0.1),
)  # fmt: skip

STATISTIC_FIELDS = (
    "min", "max", "avg", "count", "sum", "median", "stdDev", "first", "last", "delta",
    "counter", "wavg", "wtavg", "slope", "intercept",
    *(f"percentile{suffix}" for suffix, _ in PERCENTILES),
    "firstTime", "lastTime", "minValueTime", "maxValueTime",
)  # fmt: skip

_TIME_FIELDS = frozenset({"firstTime", "lastTime", "minValueTime", "maxValueTime"})


def _normal(name: str) -> str:
    return "".join(c for c in name.lower() if c.isalnum())


# db_statistic's function names: the fields, ATSD's aggregator spellings
# (PERCENTILE_999, STANDARD_DEVIATION, MIN_VALUE_TIME) normalised the same way.
_FUNCTION_FIELDS = {_normal(f): f for f in STATISTIC_FIELDS} | {
    "standarddeviation": "stdDev",
    "mean": "avg",
    "diff": "delta",
}


def _reads(ctx: Any, function: str) -> Any:
    reads = ctx.lookup("store_reads")
    if reads is None:
        raise EvaluationError(f"{function}(): stored series are not readable here")
    return reads


def parse_tags(arg: Any) -> dict[str, str]:
    """A tags argument as a map: ``'k=v,k2=v2'``, ``''``, or a map; ``*`` = any value."""
    if isinstance(arg, Mapping):
        return {text_of(k): text_of(v) for k, v in arg.items()}
    text = text_of(arg).strip()
    tags: dict[str, str] = {}
    if not text:
        return tags
    for part in text.split(","):
        name, sep, value = part.partition("=")
        if not sep or not name.strip():
            raise EvaluationError(f"invalid tags {text!r}, expected 'name=value,name2=value2'")
        tags[name.strip()] = value.strip()
    return tags


def _series(ctx: Any, metric: Any, entity: Any, tags: Any) -> tuple[str, str, dict[str, str]]:
    """(metric, entity, tags) of a call, the current command's where omitted."""
    # Names are stored lower-cased (spec §1.1): 'JVM_Memory' finds jvm_memory.
    metric_name = text_of(metric if metric is not None else ctx.lookup("metric")).lower()
    entity_name = text_of(entity if entity is not None else ctx.lookup("entity")).lower()
    if tags is None:
        current = ctx.lookup("tags")
        tag_map = dict(current) if isinstance(current, Mapping) else {}
    else:
        tag_map = {k.lower(): v for k, v in parse_tags(tags).items()}
    if not metric_name or not entity_name:
        raise EvaluationError("no metric or entity to read: name them as arguments")
    return metric_name, entity_name, tag_map


@register("db_last", 1, 3)
def db_last(ctx: Any, metric: Any, entity: Any = None, tags: Any = None) -> float:
    """The newest stored value of a series (within the history's reach); NaN when none."""
    reads = _reads(ctx, "db_last")
    m, e, t = _series(ctx, metric, entity, tags)
    minutes, points = reads.series_stored(m, e, t, ctx.now_ms - reads.reach_ms, 2**62)
    if points:
        return float(points[-1][1])
    return float(minutes[-1][5]) if minutes else NAN


def _interval_stored(
    ctx: Any, function: str, interval: Any, rest: Sequence[Any]
) -> tuple[Sequence[Minute], list[tuple[int, float]]] | None:
    """Folded minutes and samples in ``(now - interval, now]`` of the series named by
    ``rest``; None when the interval reaches beyond the stored history."""
    reads = _reads(ctx, function)
    span = parse_interval_ms(text_of(interval))
    m, e, t = _series(ctx, *(list(rest) + [None] * (3 - len(rest))))
    if span > reads.reach_ms:
        return None
    now = ctx.now_ms
    minutes, points = reads.series_stored(m, e, t, now - span, now)
    return (
        [x for x in minutes if x[0] > now - span],
        [(ts, v) for ts, v in points if ts > now - span],
    )


def _counter(values: Sequence[float]) -> float:
    """Sum of the increases between consecutive values; after a decrease (a counter
    reset) the new value itself counts as the increase."""
    if not values:
        return NAN
    total = 0.0
    for previous, current in pairwise(values):
        total += current - previous if current >= previous else current
    return total


def _empty() -> dict[str, Any]:
    return {f: (None if f in _TIME_FIELDS else NAN) for f in STATISTIC_FIELDS} | {"count": 0}


def statistics_of(points: Sequence[tuple[int, float]], now_ms: int) -> dict[str, Any]:
    """Every §4.6 ``db_statistics`` field over ``points`` (NaN values skipped): values
    NaN and times None when there is none, ``count`` 0."""
    finite = [(t, v) for t, v in points if not math.isnan(v)]
    if not finite:
        return _empty()
    window = PointsWindow(finite)
    values = [v for _, v in finite]
    ctx = _WindowContext(window, now_ms)
    low = min(finite, key=lambda p: p[1])
    high = max(finite, key=lambda p: p[1])
    stats: dict[str, Any] = {
        "min": low[1],
        "max": high[1],
        "avg": window.avg(),
        "count": len(values),
        "sum": window.sum(),
        "median": window.percentile(50),
        "stdDev": REGISTRY["stdev"].impl(ctx),
        "first": values[0],
        "last": values[-1],
        "delta": values[-1] - values[0],
        "counter": _counter(values),
        "wavg": REGISTRY["wavg"].impl(ctx),
        "wtavg": REGISTRY["wtavg"].impl(ctx),
        "slope": REGISTRY["slope"].impl(ctx),
        "intercept": REGISTRY["intercept"].impl(ctx),
        "firstTime": finite[0][0],
        "lastTime": finite[-1][0],
        "minValueTime": low[0],
        "maxValueTime": high[0],
    }
    for suffix, p in PERCENTILES:
        stats[f"percentile{suffix}"] = window.percentile(p)
    return stats


def summary_statistics(
    minutes: Sequence[Minute], points: Sequence[tuple[int, float]], now_ms: int
) -> dict[str, Any]:
    """The fields a stretch that reaches into per-minute aggregates still gives exactly:
    ``count``, ``sum``, ``avg``, ``min``, ``max``, ``last`` (and ``lastTime`` when the
    newest value is a kept sample). The others need every sample: NaN (times None)."""
    if not minutes:
        return statistics_of(points, now_ms)
    finite = [v for _, v in points if not math.isnan(v)]
    count = sum(m[1] for m in minutes) + len(finite)
    total = math.fsum([*(m[2] for m in minutes), *finite])
    stats = _empty()
    stats.update(
        count=count,
        sum=total,
        avg=total / count if count else NAN,
        min=min([*(m[3] for m in minutes), *finite]),
        max=max([*(m[4] for m in minutes), *finite]),
        last=finite[-1] if finite else minutes[-1][5],
        lastTime=next((t for t, v in reversed(points) if not math.isnan(v)), None),
    )
    return stats


class _WindowContext:
    """What the §4.5 functions read, over a window of stored samples."""

    __slots__ = ("now_ms", "window", "zone")

    def __init__(self, window: PointsWindow, now_ms: int) -> None:
        self.window = window
        self.now_ms = now_ms
        self.zone = "UTC"

    def lookup(self, name: str) -> Any:
        return None


@register("db_statistic", 2, 5)
def db_statistic(ctx: Any, function: Any, interval: Any, *series: Any) -> Any:
    """db_statistic(fn, interval[, metric[, entity[, tags]]]): ``fn`` (``avg``,
    ``max``, ``counter``, ``percentile_99``, ... any db_statistics field) over the
    samples in ``(now - interval, now]``; NaN without data or beyond the history."""
    name = text_of(function)
    field = _FUNCTION_FIELDS.get(_normal(name))
    if field is None:
        raise EvaluationError(
            f"db_statistic(): unknown function {name!r}; one of {', '.join(STATISTIC_FIELDS)}"
        )
    stored = _interval_stored(ctx, "db_statistic", interval, series)
    if stored is None:
        return None if field in _TIME_FIELDS else NAN
    return summary_statistics(*stored, ctx.now_ms)[field]


@register("db_statistics", 1, 4)
def db_statistics(ctx: Any, interval: Any, *series: Any) -> Record:
    """db_statistics(interval[, metric[, entity[, tags]]]): an object with every
    statistic of ``db_statistic`` as a field (``.max``, ``.percentile99_9``,
    ``.maxValueTime``); its values NaN (``count`` 0) without data or beyond the history."""
    stored = _interval_stored(ctx, "db_statistics", interval, series)
    return Record(**summary_statistics(*(stored or ([], [])), ctx.now_ms))


@register("last_open", 0, 0)
def last_open(ctx: Any) -> Record:
    """The newest OPEN/REPEAT alert-history record of this window: ``time``/``timestamp``
    (ms, 0 when none), ``value`` (NaN), ``severity`` (``UNDEFINED``), ``status``,
    ``repeat_count``, ``message``."""
    reads = _reads(ctx, "last_open")
    rule = text_of(ctx.lookup("rule"))
    window_tags = ctx.lookup("window_tags")
    tags = dict(window_tags) if isinstance(window_tags, Mapping) else {}
    found = reads.last_open(
        rule, text_of(ctx.lookup("metric")), text_of(ctx.lookup("entity")), tags
    )
    record: dict[str, Any] = {
        "time": 0, "value": NAN, "severity": "UNDEFINED", "status": None,
        "repeat_count": 0, "message": None,
    }  # fmt: skip
    if found:
        record.update(found)
    record["timestamp"] = record["time"]
    return Record(**record)


# A lock taken without an interval is held until unlock(), at most this long, so a rule
# that never unlocks does not hold a key forever.
LOCK_DEFAULT_MS = 86_400_000


@register("lock", 1, 2)
def lock(ctx: Any, key: Any, interval: Any = None) -> bool:
    """lock(key[, interval]): take the named lock ``key``, shared by every rule and
    window, for ``interval`` (``'5 minute'``; default until ``unlock``, at most a day).
    True when this call took it, false while it is held [decision]: ``lock('disk-' +
    entity, '15 minute')`` in a condition lets one alert through per quarter hour."""
    name = text_of(key)
    if not name:
        raise EvaluationError("lock(): the key is empty")
    ttl = LOCK_DEFAULT_MS if interval is None else parse_interval_ms(text_of(interval))
    return bool(_reads(ctx, "lock").lock(name, min(ttl, LOCK_DEFAULT_MS)))


@register("unlock", 1, 1)
def unlock(ctx: Any, key: Any) -> bool:
    """unlock(key): release the named lock ``key``; true when it was held."""
    return bool(_reads(ctx, "unlock").unlock(text_of(key)))
