"""Series history: what the chart portals draw, kept in Redis for a bounded period.

Every accepted numeric sample is recorded (``record``, called once per batch by
``rules.ingest.pipeline.hand_off``) and can be read back by metric, entity, tags
and time range (``query``).

Why Redis and not the database
------------------------------
* Ingest already writes each batch to Redis (the partition inboxes); recording
  adds one script call per flush instead of thousands of ``INSERT`` rows a second
  into SQLite's single writer, where the engine's alert writes would queue behind it.
* Expiry is free: aggregate buckets carry a TTL; dead series vanish by themselves.
* The history is a chart cache, not a system of record: losing it with a Redis
  restart costs pictures, never alerts. Disk use is whatever persistence the
  operator gives Redis (none in the embedded default).

Bounds (memory)
---------------
Per series: at most ``SERIES_HISTORY_RAW_POINTS`` raw points (a list, ~20 B each)
plus one aggregate per minute (count, sum, min, max, last: ~45 B each in a
listpack hash per hour) for ``SERIES_HISTORY_HOURS``; samples outside
``[now - period, now + 1 day]`` are dropped, so a series never holds more than
``60 * (hours + 24)`` minute buckets. At most ``SERIES_HISTORY_MAX_SERIES``
series are kept; samples of further series are dropped and counted. Worst case
≈ series * (raw * 20 B + 60 * hours * 45 B): 24 h, 500 raw points, 5 000 series
→ about 370 MB; a series sampled once a minute for a day uses ~75 KB.

Ingest cost
-----------
``record`` only appends the batch to an in-process buffer (O(1)); a daemon
thread groups samples by series and sends them to Redis in one Lua call per
flush. A full buffer drops history (counted), never blocks ingest. A process
that dies loses at most one flush interval of chart points, never a sample the
engine needed.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.conf import settings

from rules.ingest.events import SERIES, Event

log = logging.getLogger(__name__)

PREFIX = "hist:"
SERIES_SET = PREFIX + "series"  # every recorded series id
MINUTE_MS = 60_000
HOUR_MS = 3_600_000
FUTURE_MS = 86_400_000  # samples more than a day ahead are clock errors, not history
SEP = "\x1f"  # metric SEP entity SEP tags: names never hold control characters
TAG_SEP = "\x1e"
# Redis does a few commands per series per flush: at 10k busy series a 1 s flush
# costs a fifth of what 0.2 s did, and a chart a second behind is still current.
FLUSH_S = 1.0
MAX_BUFFERED_BATCHES = 10_000
CHUNK = 500  # values per RPUSH: Lua's unpack() has a small stack

# One call per flush. ARGV: now, period, raw cap, max series, n series, then per
# series: id, metric, known (1/0), n points, t1, v1, t2, v2 ... Returns samples
# dropped, the ids left unregistered (over the cap, or no sample in range) and the
# ids refused because the registry is full.
# Raw lists carry no TTL (the beat task drops lists whose points are all too old);
# aggregate buckets get theirs when their first minute is written.
_RECORD_LUA = """
local P = 'hist:'
local now, period = tonumber(ARGV[1]), tonumber(ARGV[2])
local cap, maxs, n = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local lo, hi = now - period, now + 86400000
local i, dropped, unregistered, refused = 6, 0, {}, {}
for s = 1, n do
  local sid, metric, known, np = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3])
  i = i + 4
  local raw, aggs, order = {}, {}, {}
  for p = 1, np do
    local t, v = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
    if t >= lo and t <= hi then
      raw[#raw + 1] = ARGV[i] .. ' ' .. ARGV[i + 1]
      local m = math.floor(t / 60000)
      local a = aggs[m]
      if a == nil then
        a = {0, 0, v, v, v}
        aggs[m] = a
        order[#order + 1] = m
      end
      a[1] = a[1] + 1
      a[2] = a[2] + v
      if v < a[3] then a[3] = v end
      if v > a[4] then a[4] = v end
      a[5] = v
    else
      dropped = dropped + 1
    end
    i = i + 2
  end
  -- known = 1: this process already saw the series registered; skip the set lookups.
  if #raw > 0 and known == '0' and redis.call('SISMEMBER', P .. 'series', sid) == 0 then
    if redis.call('SCARD', P .. 'series') >= maxs then
      dropped = dropped + #raw
      raw = {}
      refused[#refused + 1] = sid
    else
      redis.call('SADD', P .. 'series', sid)
      redis.call('SADD', P .. 'm:' .. metric, sid)
    end
  end
  if #raw == 0 and known == '0' then unregistered[#unregistered + 1] = sid end
  if #raw > 0 then
    local rk = P .. 'r:' .. sid
    local len = 0
    for c = 1, #raw, 500 do
      len = redis.call('RPUSH', rk, unpack(raw, c, math.min(c + 499, #raw)))
    end
    -- Trim with slack so that a full list is not trimmed on every push.
    if len > cap + math.floor(cap / 4) then redis.call('LTRIM', rk, -cap, -1) end
    for _, m in ipairs(order) do
      local a = aggs[m]
      local hour = math.floor(m / 60)
      local ak = P .. 'a:' .. sid .. ':' .. hour
      local old = redis.call('HGET', ak, m)
      if old then
        local c, sum, mn, mx = string.match(old, '^(%S+) (%S+) (%S+) (%S+)')
        a[1] = a[1] + tonumber(c)
        a[2] = a[2] + tonumber(sum)
        a[3] = math.min(a[3], tonumber(mn))
        a[4] = math.max(a[4], tonumber(mx))
      end
      local text = string.format('%d %.17g %.17g %.17g %.17g', a[1], a[2], a[3], a[4], a[5])
      if redis.call('HSET', ak, m, text) == 1 then
        redis.call('PEXPIREAT', ak, (hour + 1) * 3600000 + period)
      end
    end
  end
end
return {dropped, unregistered, refused}
"""


def _client():
    from rules.runtime.redis_client import client

    return client()


def period_ms() -> int:
    return int(settings.SERIES_HISTORY_HOURS) * HOUR_MS


def tags_text(tags: Mapping[str, str]) -> str:
    """Canonical text of a tag map: ``k=v`` pairs sorted by name."""
    if not tags:
        return ""
    return TAG_SEP.join(f"{k}={tags[k]}" for k in sorted(tags))


def series_id(metric: str, entity: str, tags: Mapping[str, str]) -> str:
    """The id a series is stored under: metric, entity and canonical tags."""
    return f"{metric}{SEP}{entity}{SEP}{tags_text(tags)}"


def parse_series_id(sid: str) -> tuple[str, str, dict[str, str]]:
    metric, entity, text = sid.split(SEP, 2)
    tags = dict(pair.split("=", 1) for pair in text.split(TAG_SEP)) if text else {}
    return metric, entity, tags


@dataclass
class Series:
    """One series in a time range. ``points``: (time ms, value) in time order; where
    the raw points no longer reach, one point per minute (the minute's average)."""

    metric: str
    entity: str
    tags: dict[str, str]
    points: list[tuple[int, float]] = field(default_factory=list)
    raw_from_ms: int | None = None  # points at or after this time are raw samples


def group(events: Iterable[Event]) -> dict[str, list]:
    """Series id → [metric, t1, v1, t2, v2, ...] for the finite series samples."""
    groups: dict[str, list] = {}
    isfinite = math.isfinite
    for event in events:
        if event.kind != SERIES:
            continue
        value = event.value
        if not isfinite(value):
            continue
        tags = event.tags
        sid = (
            f"{event.metric}{SEP}{event.entity}{SEP}{tags_text(tags)}"
            if tags
            else f"{event.metric}{SEP}{event.entity}{SEP}"
        )
        row = groups.get(sid)
        if row is None:
            groups[sid] = row = [event.metric]
        row.append(event.time_ms)
        row.append(value)
    return groups


def write(events: Iterable[Event], now_ms: int | None = None) -> int:
    """Store ``events`` now (synchronously); return how many samples were dropped."""
    groups = group(events)
    if not groups:
        return 0
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    args: list = [
        now_ms,
        period_ms(),
        int(settings.SERIES_HISTORY_RAW_POINTS),
        int(settings.SERIES_HISTORY_MAX_SERIES),
        len(groups),
    ]
    known, refused, fresh_after = _known, _refused, time.monotonic() - KNOWN_FOR_S
    dropped, sent = 0, []
    for sid, row in groups.items():
        seen = refused.get(sid)
        if seen is not None and seen > fresh_after:
            dropped += (len(row) - 1) // 2  # the registry was full a moment ago: not sent
            continue
        sent.append(sid)
        args.append(sid)
        args.append(row[0])
        seen = known.get(sid)
        args.append(1 if seen is not None and seen > fresh_after else 0)
        args.append((len(row) - 1) // 2)
        args.extend(row[1:])
    if not sent:
        return dropped
    args[4] = len(sent)
    dropped_there, unregistered, refused_now = _script()(keys=[], args=args)
    if len(known) > KNOWN_CACHE:
        known.clear()
    if len(refused) > KNOWN_CACHE:
        refused.clear()
    stamp = time.monotonic()
    skip = {sid.decode() for sid in unregistered}
    for raw_sid in refused_now:
        sid = raw_sid.decode()
        refused[sid] = stamp
        skip.add(sid)
    for sid in sent:
        if sid not in skip:
            known[sid] = stamp
    return dropped + int(dropped_there)


def forget_known() -> None:
    """Drop this process's caches of registered and refused series (after expiry
    removed some, or in tests)."""
    _known.clear()
    _refused.clear()


# Series this process registered in the last KNOWN_FOR_S seconds: their flushes skip
# the registry lookups. ``expire`` (another process) only forgets series silent for
# the whole period, far longer than an entry lives, so a stale entry cannot hide one.
_known: dict[str, float] = {}
# Series the registry refused (full) in the last KNOWN_FOR_S seconds: their samples
# are dropped here without being sent (before, every flush sent them and paid two
# registry lookups each). A slot freed by ``expire`` in another process is taken up
# at most KNOWN_FOR_S seconds late.
_refused: dict[str, float] = {}
KNOWN_FOR_S = 60.0
KNOWN_CACHE = 100_000
_script_lock = threading.Lock()
_scripts: dict[int, object] = {}


def _script():
    redis = _client()
    with _script_lock:
        found = _scripts.get(id(redis))
        if found is None:
            found = _scripts[id(redis)] = redis.register_script(_RECORD_LUA)
    return found


class Recorder:
    """The per-process buffer between ingest and Redis (see the module docstring)."""

    def __init__(self, flush_s: float = FLUSH_S, max_batches: int = MAX_BUFFERED_BATCHES) -> None:
        self.flush_s = flush_s
        self._buffer: deque[Sequence[Event]] = deque()
        self._max = max_batches
        self._wake = threading.Event()
        self._idle = threading.Condition()
        self._pending = 0  # batches taken from the buffer but not yet written
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.dropped = 0

    def record(self, events: Sequence[Event]) -> None:
        """Queue ``events`` for the history; O(1), never blocks, never raises."""
        if not events:
            return
        if len(self._buffer) >= self._max:
            self.dropped += len(events)
            return
        self._buffer.append(events)
        if self._thread is None or not self._thread.is_alive():
            self._start()

    def _start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="series-history", daemon=True
                )
                self._thread.start()

    def _drain(self) -> None:
        batches: list[Sequence[Event]] = []
        while self._buffer:
            batches.append(self._buffer.popleft())
        if not batches:
            return
        with self._idle:
            self._pending += 1
        try:
            self.dropped += write(e for batch in batches for e in batch)
        except Exception:  # history must never take ingest down; the next flush retries
            log.exception("series history: %d batches not recorded", len(batches))
        finally:
            with self._idle:
                self._pending -= 1
                self._idle.notify_all()

    def _run(self) -> None:
        while True:
            self._wake.wait(self.flush_s)
            self._wake.clear()
            self._drain()

    def flush(self, timeout: float = 10.0) -> None:
        """Write everything recorded so far before returning (tests, benchmarks)."""
        deadline = time.monotonic() + timeout
        self._drain()
        with self._idle:
            while self._pending and time.monotonic() < deadline:
                self._idle.wait(0.05)


recorder = Recorder()


def record(events: Sequence[Event]) -> None:
    """The ingest hook: queue accepted events for the series history (never blocks)."""
    if settings.SERIES_HISTORY_HOURS > 0:
        recorder.record(events)


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
) -> list[str]:
    """Ids of the recorded series of ``metric`` (any metric when None) that match
    ``entity`` (exact) and ``tags`` (every given tag equal; others may exist)."""
    redis = _client()
    key = PREFIX + "m:" + metric if metric else SERIES_SET
    members = sorted(m.decode() for m in redis.smembers(key))
    return [sid for sid in members if _matches(entity, tags, sid)]


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

    Raw samples where the raw list still reaches back; older minutes as their
    average. At most ``limit`` series, in id order.
    """
    now = int(time.time() * 1000)
    end_ms = now + FUTURE_MS if end_ms is None else end_ms
    start_ms = now - period_ms() if start_ms is None else start_ms
    redis = _client()
    result = []
    for sid in series_ids(metric, entity, tags)[:limit]:
        m, e, t = parse_series_id(sid)
        raw = []
        for item in redis.lrange(PREFIX + "r:" + sid, 0, -1):
            ts, value = item.split(b" ", 1)
            raw.append((int(ts), float(value)))
        raw.sort()
        raw_from = raw[0][0] if raw else None
        points: list[tuple[int, float]] = []
        first_hour, last_hour = start_ms // HOUR_MS, end_ms // HOUR_MS
        stop = raw_from // MINUTE_MS * MINUTE_MS if raw_from is not None else end_ms + 1
        if start_ms < stop:
            pipe = redis.pipeline(transaction=False)
            hours = range(first_hour, min(last_hour, stop // HOUR_MS) + 1)
            for hour in hours:
                pipe.hgetall(f"{PREFIX}a:{sid}:{hour}")
            for buckets in pipe.execute():
                for minute, text in buckets.items():
                    at = int(minute) * MINUTE_MS
                    if start_ms <= at <= end_ms and at < stop:
                        count, total = text.split(b" ")[:2]
                        points.append((at, float(total) / int(count)))
            points.sort()
        points.extend(p for p in raw if start_ms <= p[0] <= end_ms)
        result.append(Series(m, e, t, points, raw_from))
    return result


def minute_buckets(sid: str) -> dict[int, tuple[int, float, float, float, float]]:
    """Every stored minute of a series: minute → (count, sum, min, max, last)."""
    redis = _client()
    out = {}
    pattern = re.sub(r"([*?\[\]\\])", r"\\\1", f"{PREFIX}a:{sid}:") + "*"
    for key in redis.scan_iter(match=pattern, count=1000):
        for minute, text in redis.hgetall(key).items():
            c, s, mn, mx, last = text.split(b" ")
            out[int(minute)] = (int(c), float(s), float(mn), float(mx), float(last))
    return out


def expire(now_ms: int | None = None) -> dict[str, int]:
    """The beat task's work: trim raw points older than the period, forget series
    with nothing left. Aggregate buckets expire by their own TTL.

    Returns ``{"trimmed": raw points removed, "forgotten": series removed}``.
    """
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    cutoff = now_ms - period_ms()
    redis = _client()
    trimmed = forgotten = 0
    for raw_sid in redis.sscan_iter(SERIES_SET, count=500):
        sid = raw_sid.decode()
        rk = PREFIX + "r:" + sid
        items = redis.lrange(rk, 0, -1)
        old = sum(1 for item in items if int(item.split(b" ", 1)[0]) < cutoff)
        if old:
            # Points arrive roughly in time order; a late old point among new ones is
            # kept until the cap pushes it out rather than rewriting the list.
            keep = [item for item in items if int(item.split(b" ", 1)[0]) >= cutoff]
            pipe = redis.pipeline()
            pipe.delete(rk)
            if keep:
                pipe.rpush(rk, *keep)
                pipe.pexpire(rk, period_ms())
            pipe.execute()
            trimmed += old
        has_raw = bool(items) and old < len(items)
        first_hour, last_hour = cutoff // HOUR_MS, (now_ms + FUTURE_MS) // HOUR_MS
        has_buckets = has_raw or any(
            redis.exists(f"{PREFIX}a:{sid}:{h}") for h in range(first_hour, last_hour + 1)
        )
        if not has_buckets:
            metric = sid.split(SEP, 1)[0]
            redis.srem(SERIES_SET, sid)
            redis.srem(PREFIX + "m:" + metric, sid)
            forgotten += 1
    if forgotten:
        forget_known()
    return {"trimmed": trimmed, "forgotten": forgotten}
