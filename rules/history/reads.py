"""The series history as rule functions read it: ``db_last``, ``db_statistic``,
``db_statistics`` and ``loadHistory`` (spec §4.6, §3.3).

Reach: the history keeps ``SERIES_HISTORY_HOURS``; older samples do not exist here,
so reads beyond it find nothing (the functions answer NaN, windows start with what
there is). Samples older than the newest ``SERIES_HISTORY_RAW_POINTS`` of a series
are kept as one average per minute (rules.history.layout): a read that reaches that
far sees one point per minute there. A sample is readable about a second after it was
accepted (the recorder flushes once a second).

Bounds: reads run inside a partition's evaluation, so each goes through a small
cache (``CACHE_SIZE`` series, answers reused for ``CACHE_TTL_S``) and a Redis client
with a ``SERIES_READ_TIMEOUT_MS`` socket timeout; a read that fails or times out is
an ``EvaluationError`` (a Rule Error for the rule), never a stalled partition.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from typing import Generic, TypeVar

import redis as redis_lib
from django.conf import settings

from rules.expressions.errors import EvaluationError
from rules.history.layout import FUTURE_MS, SEP, TAG_SEP, parse_series_id, period_ms
from rules.history.query import Minute, series_ids, stored_of

CACHE_SIZE = 1024
CACHE_TTL_S = 1.0
# The most series one new window is filled from (a window grouped by fewer tags than
# its series carry gathers several).
WINDOW_SERIES = 100
ANY = "*"
K = TypeVar("K")
V = TypeVar("V")

_client_lock = threading.Lock()
_clients: dict[tuple[str, float], redis_lib.Redis] = {}


def reads_client() -> redis_lib.Redis:
    """A client with socket timeouts, one per process (redis-py pools connections)."""
    timeout = int(settings.SERIES_READ_TIMEOUT_MS) / 1000
    url = settings.REDIS_URL
    with _client_lock:
        found = _clients.get((url, timeout))
        if found is None:
            found = _clients[(url, timeout)] = redis_lib.Redis.from_url(
                url.replace("redis+socket://", "unix://", 1),
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
            )
    return found


def tags_match(wanted: Mapping[str, str], have: Mapping[str, str]) -> bool:
    """Exactly the wanted tag names, each value equal or wanted as ``*``."""
    if wanted.keys() != have.keys():
        return False
    return all(v == ANY or have[k] == v for k, v in wanted.items())


class TtlCache(Generic[K, V]):
    """At most ``size`` answers, each reused for ``ttl_s`` seconds; thread-safe."""

    def __init__(self, size: int = CACHE_SIZE, ttl_s: float = CACHE_TTL_S) -> None:
        self.size, self.ttl_s = size, ttl_s
        self._items: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> tuple[bool, V | None]:
        """(True, answer) while a fresh answer is kept, else (False, None)."""
        with self._lock:
            found = self._items.get(key)
            if found is None or time.monotonic() - found[0] > self.ttl_s:
                return False, None
            self._items.move_to_end(key)
            return True, found[1]

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._items[key] = (time.monotonic(), value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


class SeriesReads:
    """Cached, bounded, time-limited reads of the series history (see the module)."""

    def __init__(self) -> None:
        self._stored: TtlCache[str, tuple[list[Minute], list[tuple[int, float]]]] = TtlCache()
        self._ids: TtlCache[tuple[str, str], list[str]] = TtlCache()

    @property
    def reach_ms(self) -> int:
        return period_ms()

    def matching_ids(
        self, metric: str, entity: str | None, tags: Mapping[str, str] | None
    ) -> list[str]:
        """Ids of the series of ``metric`` and ``entity`` (None: any) whose tags match
        (``tags_match``; None: any tags)."""
        key = (metric, entity or "")
        hit, ids = self._ids.get(key)
        if not hit or ids is None:
            try:
                ids = series_ids(metric, entity, None, redis=reads_client())
            except redis_lib.RedisError as exc:
                raise EvaluationError(f"series history unavailable: {exc}") from exc
            self._ids.put(key, ids)
        if tags is None:
            return ids
        return [sid for sid in ids if tags_match(tags, parse_series_id(sid)[2])]

    def _whole(self, sid: str) -> tuple[list[Minute], list[tuple[int, float]]]:
        """Every folded minute and raw point of ``sid`` within the reach, in time order."""
        hit, whole = self._stored.get(sid)
        if not hit or whole is None:
            now = int(time.time() * 1000)
            try:
                minutes, raw = stored_of(
                    reads_client(), sid, now - period_ms(), now + FUTURE_MS, now
                )
            except redis_lib.RedisError as exc:
                raise EvaluationError(f"series history unavailable: {exc}") from exc
            whole = (minutes, sorted(raw, key=lambda p: p[0]))
            self._stored.put(sid, whole)
        return whole

    def stored(
        self, sid: str, start_ms: int, end_ms: int
    ) -> tuple[list[Minute], list[tuple[int, float]]]:
        """The folded minutes and the raw points of ``sid`` in ``[start_ms, end_ms]``."""
        minutes, raw = self._whole(sid)
        return (
            [m for m in minutes if start_ms <= m[0] <= end_ms],
            [p for p in raw if start_ms <= p[0] <= end_ms],
        )

    def points(self, sid: str, start_ms: int, end_ms: int) -> list[tuple[int, float]]:
        """Points of ``sid`` in ``[start_ms, end_ms]`` as the charts show them (a folded
        minute as its average at its start), oldest first."""
        minutes, raw = self.stored(sid, start_ms, end_ms)
        return sorted([(m[0], m[2] / m[1]) for m in minutes] + raw, key=lambda p: p[0])

    def series_stored(
        self, metric: str, entity: str, tags: Mapping[str, str], start_ms: int, end_ms: int
    ) -> tuple[list[Minute], list[tuple[int, float]]]:
        """``StoreReads.series_stored``: the one matching series' minutes and points."""
        ids = self.matching_ids(metric, entity, tags)
        if not ids:
            return [], []
        if len(ids) > 1:
            shown = ", ".join(
                sid.split(SEP, 2)[2].replace(TAG_SEP, ",") or "(no tags)" for sid in ids[:5]
            )
            raise EvaluationError(
                f"{len(ids)} series of {metric!r} for {entity!r} match; name their tags: {shown}"
            )
        return self.stored(ids[0], start_ms, end_ms)

    def window_points(
        self, metric: str, entity: str | None, tags: Mapping[str, str], start_ms: int, end_ms: int
    ) -> list[tuple[int, float]]:
        """Points in ``[start_ms, end_ms]`` of every series of ``metric`` and ``entity``
        (None: any) holding ``tags`` (others may exist), at most ``WINDOW_SERIES`` series,
        merged oldest first: what a new window of those grouping parts would hold."""
        ids = [
            sid
            for sid in self.matching_ids(metric, entity, None)
            if all(parse_series_id(sid)[2].get(k) == v for k, v in tags.items())
        ]
        points = [p for sid in ids[:WINDOW_SERIES] for p in self.points(sid, start_ms, end_ms)]
        points.sort(key=lambda p: p[0])
        return points
