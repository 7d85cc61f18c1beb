"""Reading the series history: what the chart portals draw.

Every stored sample shows once: as itself while it is a raw point, else in its minute's
average (rules.history.layout).
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from typing import cast

from redis import Redis

from atsd_alerts.redis import client
from rules.history.layout import (
    FUTURE_MS,
    HOUR_MS,
    MINUTE_MS,
    POINT,
    PREFIX,
    RAW,
    SEP,
    SERIES_SET,
    TAG_SEP,
    parse_series_id,
    period_ms,
)


@dataclass
class Series:
    """One series in a time range. ``points``: (time ms, value) in time order; where
    the raw points no longer reach, one point per minute (the average of the points
    folded out of the raw ones, at the minute's start; see ``query``)."""

    metric: str
    entity: str
    tags: dict[str, str]
    points: list[tuple[int, float]] = field(default_factory=list)
    raw_from_ms: int | None = None  # the oldest raw sample (earlier: minute averages)


def _matches(entity: str | None, tags: Mapping[str, str] | None, sid: str) -> bool:
    _, e, text = sid.split(SEP, 2)
    if entity is not None and e != entity:
        return False
    if tags:
        have = text.split(TAG_SEP) if text else []
        return all(f"{k}={v}" in have for k, v in tags.items())
    return True


def series_ids(
    metric: str | None = None,
    entity: str | None = None,
    tags: Mapping[str, str] | None = None,
    redis: Redis | None = None,
) -> list[str]:
    """Ids of the recorded series of ``metric`` (any metric when None) that match
    ``entity`` (exact) and ``tags`` (every given tag equal; others may exist), read
    with ``redis`` (default: the process's client)."""
    redis = redis or client()
    key = PREFIX + "m:" + metric if metric else SERIES_SET
    stored = cast(set[bytes], redis.smembers(key))
    members = sorted(m.decode() for m in stored)
    return [sid for sid in members if _matches(entity, tags, sid)]


def _raw_points(data: bytes | None) -> list[tuple[int, float]]:
    """A raw string (see ``RAW``) as (time ms, value) points."""
    if not data:
        return []
    whole = len(data) - len(data) % POINT.size
    return [(int(t), v) for t, v in POINT.iter_unpack(memoryview(data)[:whole])]


def query(
    metric: str | None,
    entity: str | None = None,
    tags: Mapping[str, str] | None = None,
    start_ms: int | None = None,
    end_ms: int | None = None,
    limit: int = 50,
) -> list[Series]:
    """Series matching ``metric``/``entity``/``tags`` with their points in
    ``[start_ms, end_ms]`` (default: the whole history period up to now).

    Every stored sample shows once: as itself while it is a raw point, else in
    its minute's average, plotted at the minute's start. Points arrive roughly in
    time order, so averages come before ``raw_from_ms``; the minute at the boundary
    can show both: the average of its folded points at its start, then its raw
    points. At most ``limit`` series, in id order.
    """
    now = int(time.time() * 1000)
    end_ms = now + FUTURE_MS if end_ms is None else end_ms
    start_ms = now - period_ms() if start_ms is None else start_ms
    redis = client()
    result = []
    for sid in series_ids(metric, entity, tags)[:limit]:
        m, e, t = parse_series_id(sid)
        points, raw_from = points_of(redis, sid, start_ms, end_ms, now)
        result.append(Series(m, e, t, points, raw_from))
    return result


# A minute the history keeps only as an aggregate: (minute start ms, count, sum, min,
# max, last) of the points folded into it.
Minute = tuple[int, int, float, float, float, float]


def stored_of(
    redis: Redis, sid: str, start_ms: int, end_ms: int, now: int
) -> tuple[list[Minute], list[tuple[int, float]]]:
    """What series ``sid`` holds: its folded minutes starting in ``[start_ms, end_ms]``
    (in time order) and all its raw points (in the order they were written)."""
    # A series never holds aggregates over more hours than this: a wider range (the
    # portal's start=0) is cut to the hours that can hold data, not probed hour by hour.
    reach = period_ms() // HOUR_MS + FUTURE_MS // HOUR_MS + 1
    raw = _raw_points(cast(bytes | None, redis.get(RAW + sid)))
    first_hour, last_hour = start_ms // HOUR_MS, end_ms // HOUR_MS
    if last_hour - first_hour > reach:
        newest = max([now + FUTURE_MS, *(p[0] for p in raw)]) // HOUR_MS
        last_hour = min(last_hour, newest)
        first_hour = max(first_hour, last_hour - reach)
    pipe = redis.pipeline(transaction=False)
    for hour in range(first_hour, last_hour + 1):
        pipe.hgetall(f"{PREFIX}a:{sid}:{hour}")
    minutes: list[Minute] = []
    for buckets in pipe.execute():
        for minute, text in buckets.items():
            at = int(minute) * MINUTE_MS
            if start_ms <= at <= end_ms:
                count, total, low, high, last = text.split(b" ")
                minutes.append((at, int(count), float(total), float(low), float(high), float(last)))
    minutes.sort(key=itemgetter(0))
    return minutes, raw


def points_of(
    redis: Redis, sid: str, start_ms: int, end_ms: int, now: int
) -> tuple[list[tuple[int, float]], int | None]:
    """The points of series ``sid`` in ``[start_ms, end_ms]`` as ``query`` shows them,
    and the time of its oldest raw point (None without raw points)."""
    minutes, raw = stored_of(redis, sid, start_ms, end_ms, now)
    raw_from = min(raw)[0] if raw else None
    points = [(m[0], m[2] / m[1]) for m in minutes]
    points.extend(p for p in raw if start_ms <= p[0] <= end_ms)
    points.sort(key=itemgetter(0))
    return points, raw_from


def minute_buckets(
    sid: str, folded_only: bool = False
) -> dict[int, tuple[int, float, float, float, float]]:
    """Every stored minute of a series: minute → (count, sum, min, max, last), over
    the folded aggregates and the raw points (in the order they were written).
    ``folded_only``: the aggregate hashes alone (points already folded)."""
    redis = client()
    out = {}
    pattern = re.sub(r"([*?\[\]\\])", r"\\\1", f"{PREFIX}a:{sid}:") + "*"
    for key in redis.scan_iter(match=pattern, count=1000):
        buckets = cast(dict[bytes, bytes], redis.hgetall(key))
        for minute_text, text in buckets.items():
            count, total, low, high, last = text.split(b" ")
            out[int(minute_text)] = (int(count), float(total), float(low), float(high), float(last))
    if folded_only:
        return out
    for t, v in _raw_points(cast(bytes | None, redis.get(RAW + sid))):
        minute = t // MINUTE_MS
        c, s, mn, mx, _ = out.get(minute, (0, 0.0, v, v, v))
        out[minute] = (c + 1, s + v, min(mn, v), max(mx, v), v)
    return out


def last_sample_ms(sids: list[str]) -> dict[str, int]:
    """The time of the last sample appended to each series' raw points (the newest one
    received), 0 for a series whose raw points are gone: one pipelined read of 16 bytes
    a series."""
    pipe = client().pipeline(transaction=False)
    for sid in sids:
        pipe.getrange(RAW + sid, -POINT.size, -1)
    found = {}
    for sid, data in zip(sids, pipe.execute(), strict=True):
        found[sid] = int(POINT.unpack(data)[0]) if data and len(data) == POINT.size else 0
    return found
