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
Per series: the newest ``SERIES_HISTORY_RAW_POINTS`` (cap) raw points plus up to
as many again that arrived since they were last folded (one Redis string, 16 B a
point; APPEND's doubling and the allocator's size classes make that ~40 B * cap
allocated, 20 KB at cap 500, and up to twice that before a series' first fold),
plus one aggregate per minute of the points folded out of it (count, sum, min,
max, last: ~45 B each in a listpack hash per hour) for ``SERIES_HISTORY_HOURS``;
samples outside ``[now - period, now + 1 day]`` are dropped, so a series never
holds more than ``60 * (hours + 24)`` minute buckets. At most
``SERIES_HISTORY_MAX_SERIES`` series are kept; samples of further series are
dropped and counted. Worst case ≈ series * (raw * 40 B + 60 * hours * 45 B): 24 h,
500 raw points, 5 000 series → about 425 MB; a series sampled once a minute for a
day uses at most ~85 KB.

Ingest cost
-----------
``record`` only appends the batch to an in-process buffer (O(1)); a daemon
thread groups samples by series and sends them to Redis in one Lua call per
flush, whatever its size three blobs: the series ids and their point counts
(JSON) and every point packed as two doubles. Redis appends each series' bytes
with one APPEND: nothing per point. A point is read again once, when it is folded:
a series whose raw string passes cap + cap/2..cap points (the slack varies by
series so that series do not all fold in one flush) has its points beyond the
newest cap added to their minute aggregates, a few commands per hour touched,
amortised over at least cap/2 points. Series the registry refused (full) are not
sent again for ``KNOWN_FOR_S``; their samples are dropped (counted) in process.
A full buffer drops history (counted), never blocks ingest. A process that dies
loses at most one flush interval of chart points, never a sample the engine
needed.

Measured (2 cores, Redis 7.0; flushes of 10 000 series * 5 samples, mean of
flushes 251-500 so that folding is included; client CPU + Redis CPU per flush):
all series registered 27-31 + 46-52 ms (the version before this layout: 164-166
+ 157-163 ms); 5 000 of them over ``SERIES_HISTORY_MAX_SERIES`` 23-26 + 23-26 ms
(before: 162 + 102 ms). Grouping the events is 15-20 ms of the client's share;
a flush that folds nothing costs Redis ~22 ms (all registered), ~12 ms (half).
"""

from __future__ import annotations

import logging
import math
import re
import struct
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from operator import itemgetter
from typing import cast

import orjson
from django.conf import settings

from atsd_alerts.redis import client
from rules.events import SERIES, Event

log = logging.getLogger(__name__)

PREFIX = "hist:"
SERIES_SET = PREFIX + "series"  # every recorded series id
MINUTE_MS = 60_000
HOUR_MS = 3_600_000
FUTURE_MS = 86_400_000  # samples more than a day ahead are clock errors, not history
SEP = "\x1f"  # metric SEP entity SEP tags: names never hold control characters
TAG_SEP = "\x1e"
# Redis does at least one command per series per flush: at 10k busy series a 1 s
# flush costs a fifth of what 0.2 s did, and a chart a second behind is still current.
FLUSH_S = 1.0
MAX_BUFFERED_BATCHES = 10_000

# Raw points of a series: one Redis string of little-endian doubles t1 v1 t2 v2 ...
# (16 B a point, exact). APPEND returns its length, so the point count costs no
# extra command and a flush is one APPEND per series, with no per-point work.
# Lists of "t v" text ("hist:r:") are what versions before it kept: nothing reads
# them, ``expire`` deletes them; their points are already in the minute aggregates,
# which those versions wrote on every flush.
RAW = PREFIX + "p:"
POINT = struct.Struct("<dd")

# fold(sid, data, nfold, lo, period) adds the first ``nfold`` points of ``data`` (a
# raw string) to the series' per-minute aggregates: "count sum min max last", one
# hash per series and hour, TTL (hour + 1) h + period. Points older than ``lo`` are
# outside the history by now and are only dropped.
_FOLD_LUA = """
local F1000 = '<' .. string.rep('d', 2000)
local function fold(sid, data, nfold, lo, period)
  local aggs, minutes, hours = {}, {}, {}
  local floor, cm, a = math.floor, nil, nil
  for j = 0, nfold - 1, 1000 do  -- struct.unpack returns values on Lua's small stack
    local k = math.min(1000, nfold - j)
    local format = k == 1000 and F1000 or '<' .. string.rep('d', 2 * k)
    local nums = {struct.unpack(format, data, 16 * j + 1)}
    for p = 1, 2 * k, 2 do
      local t, v = nums[p], nums[p + 1]
      if t >= lo then
        local m = floor(t / 60000)
        if m ~= cm then  -- points come mostly in time order: one lookup per minute
          cm = m
          a = aggs[m]
          if a == nil then
            a = {0, 0, v, v, v}
            aggs[m] = a
            local h = floor(m / 60)
            local ms = minutes[h]
            if ms == nil then
              ms = {}
              minutes[h] = ms
              hours[#hours + 1] = h
            end
            ms[#ms + 1] = m
          end
        end
        a[1] = a[1] + 1
        a[2] = a[2] + v
        if v < a[3] then a[3] = v end
        if v > a[4] then a[4] = v end
        a[5] = v
      end
    end
  end
  for _, h in ipairs(hours) do
    local ms = minutes[h]
    local ak = 'hist:a:' .. sid .. ':' .. h
    local old = redis.call('HMGET', ak, unpack(ms))
    local args = {}
    for j, m in ipairs(ms) do
      local a = aggs[m]
      if old[j] then
        local c, sum, mn, mx = string.match(old[j], '^(%S+) (%S+) (%S+) (%S+)')
        a[1] = a[1] + tonumber(c)
        a[2] = a[2] + tonumber(sum)
        a[3] = math.min(a[3], tonumber(mn))
        a[4] = math.max(a[4], tonumber(mx))
      end
      args[#args + 1] = m
      args[#args + 1] = string.format('%d %.17g %.17g %.17g %.17g', a[1], a[2], a[3], a[4], a[5])
    end
    if redis.call('HSET', ak, unpack(args)) > 0 then
      redis.call('PEXPIREAT', ak, (h + 1) * 3600000 + period)
    end
  end
end
"""

# One call per flush. ARGV: now, period, raw cap, max series, n known, then the
# series ids (JSON array; the first n known to be registered), their point counts
# (JSON array) and all their points (raw format, series after series). Samples are
# range-checked by the client. Returns samples dropped and the ids refused because
# the registry is full.
_RECORD_LUA = (
    _FOLD_LUA
    + """
local P = 'hist:'
local now, period = tonumber(ARGV[1]), tonumber(ARGV[2])
local cap, maxs, nknown = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local sids, counts, blob = cjson.decode(ARGV[6]), cjson.decode(ARGV[7]), ARGV[8]
local lo, span, sub = now - period, math.floor(cap / 2), string.sub
local off, dropped, refused, registered = 1, 0, {}, nil
for s = 1, #sids do
  local sid, n = sids[s], counts[s]
  local stop = off + 16 * n
  local ok = s <= nknown or redis.call('SISMEMBER', P .. 'series', sid) == 1
  if not ok then
    if registered == nil then registered = redis.call('SCARD', P .. 'series') end
    if registered >= maxs then
      dropped = dropped + n
      refused[#refused + 1] = sid
    else
      redis.call('SADD', P .. 'series', sid)
      redis.call('SADD', P .. 'm:' .. string.match(sid, '^[^\\31]*'), sid)
      registered = registered + 1
      ok = true
    end
  end
  if ok then
    local rk = P .. 'p:' .. sid
    local len = redis.call('APPEND', rk, sub(blob, off, stop - 1)) / 16
    -- Fold with slack (cap/2 to cap points, so at least that many per fold): a
    -- fold moves the whole string through Lua, and APPEND's growth allocates about
    -- twice the cap anyway. The slack varies by series (math.random is the same
    -- sequence in every call, so by position): series that started together would
    -- otherwise all fold in the same flush, forever.
    if len > cap + span + math.random(0, span) then
      local data = redis.call('GET', rk)
      if cap > 0 then
        redis.call('SET', rk, sub(data, 16 * (len - cap) + 1))
      else
        redis.call('DEL', rk)
      end
      fold(sid, data, len - cap, lo, period)
    end
  end
  off = stop
end
return {dropped, refused}
"""
)

# The beat task's trim, atomic with the writes (a fold between reading and
# rewriting the points would count some twice). ARGV: cutoff, first and last hour
# a live aggregate may have, then series ids. Points whose first one is recent are
# left alone: a late old point among newer ones is dropped when it is folded.
_EXPIRE_LUA = """
local P = 'hist:'
local cutoff, h0, h1 = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local trimmed, forgotten = 0, 0
for i = 4, #ARGV do
  local sid = ARGV[i]
  local rk = P .. 'p:' .. sid
  redis.call('UNLINK', P .. 'r:' .. sid)  -- the raw list of older versions
  local first = redis.call('GETRANGE', rk, 0, 7)
  local left = #first == 8
  if left and struct.unpack('<d', first) < cutoff then
    local data = redis.call('GET', rk)
    local keep = {}
    for j = 1, #data - 15, 16 do
      if struct.unpack('<d', data, j) >= cutoff then
        keep[#keep + 1] = string.sub(data, j, j + 15)
      end
    end
    trimmed = trimmed + math.floor(#data / 16) - #keep
    if #keep > 0 then
      redis.call('SET', rk, table.concat(keep))
    else
      redis.call('DEL', rk)
    end
    left = #keep > 0
  end
  if not left then
    local live = false
    for h = h0, h1 do
      if redis.call('EXISTS', P .. 'a:' .. sid .. ':' .. h) == 1 then
        live = true
        break
      end
    end
    if not live then
      redis.call('SREM', P .. 'series', sid)
      redis.call('SREM', P .. 'm:' .. string.match(sid, '^[^\\31]*'), sid)
      forgotten = forgotten + 1
    end
  end
end
return {trimmed, forgotten}
"""
EXPIRE_PAGE = 100  # series per expire call: one call must not stall Redis for long


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
    the raw points no longer reach, one point per minute (the average of the points
    folded out of the raw ones, at the minute's start; see ``query``)."""

    metric: str
    entity: str
    tags: dict[str, str]
    points: list[tuple[int, float]] = field(default_factory=list)
    raw_from_ms: int | None = None  # the oldest raw sample (earlier: minute averages)


def group(
    events: Iterable[Event], lo: int | None = None, hi: int | None = None
) -> tuple[dict[str, list], int]:
    """Series id → [t1, v1, t2, v2, ...] for the finite series samples with a time in
    ``[lo, hi]`` (any time when not given), and how many finite samples were outside."""
    groups: dict[str, list] = {}
    isfinite = math.isfinite
    low: float = -math.inf if lo is None else lo
    high: float = math.inf if hi is None else hi
    outside = 0
    for event in events:
        if event.kind != SERIES:
            continue
        value = event.value
        if not isfinite(value):
            continue
        t = event.time_ms
        if not low <= t <= high:
            outside += 1
            continue
        tags = event.tags
        sid = (
            f"{event.metric}{SEP}{event.entity}{SEP}{tags_text(tags)}"
            if tags
            else f"{event.metric}{SEP}{event.entity}{SEP}"
        )
        row = groups.get(sid)
        if row is None:
            groups[sid] = row = []
        row.append(t)
        row.append(value)
    return groups, outside


def write(events: Iterable[Event], now_ms: int | None = None) -> int:
    """Store ``events`` now (synchronously); return how many samples were dropped."""
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    period = period_ms()
    groups, dropped = group(events, now_ms - period, now_ms + FUTURE_MS)
    if not groups:
        return dropped
    stamp = time.monotonic()
    fresh_after = stamp - KNOWN_FOR_S
    known, refused = _known, _refused
    sids: list[str] = []
    rows: list[list] = []
    new_sids: list[str] = []
    new_rows: list[list] = []
    for sid, row in groups.items():
        seen = known.get(sid)
        if seen is not None and seen > fresh_after:
            sids.append(sid)
            rows.append(row)
            continue
        seen = refused.get(sid)
        if seen is not None and seen > fresh_after:
            dropped += len(row) >> 1  # the registry was full a moment ago: not sent
            continue
        new_sids.append(sid)
        new_rows.append(row)
    n_known = len(sids)
    if new_sids:
        sids += new_sids
        rows += new_rows
    if not sids:
        return dropped
    counts = [len(row) >> 1 for row in rows]
    args = [
        now_ms,
        period,
        int(settings.SERIES_HISTORY_RAW_POINTS),
        int(settings.SERIES_HISTORY_MAX_SERIES),
        n_known,
        orjson.dumps(sids),
        orjson.dumps(counts),
        struct.pack(f"<{2 * sum(counts)}d", *chain.from_iterable(rows)),
    ]
    dropped_there, unregistered = _script(_RECORD_LUA)(keys=[], args=args)
    if len(known) > KNOWN_CACHE:
        known.clear()
    if len(refused) > KNOWN_CACHE:
        refused.clear()
    skip = {raw_sid.decode() for raw_sid in unregistered}
    for sid in skip:
        refused[sid] = stamp
    for sid in sids:
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
# are dropped here without being sent. A slot freed by ``expire`` in another process
# is taken up at most KNOWN_FOR_S seconds late.
_refused: dict[str, float] = {}
KNOWN_FOR_S = 60.0
KNOWN_CACHE = 100_000
_script_lock = threading.Lock()
_scripts: dict[tuple[int, str], object] = {}


def _script(source: str):
    redis = client()
    with _script_lock:
        found = _scripts.get((id(redis), source))
        if found is None:
            found = _scripts[(id(redis), source)] = redis.register_script(source)
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
    redis = client()
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
    # A series never holds aggregates over more hours than this: a wider range (the
    # portal's start=0) is cut to the hours that can hold data, not probed hour by hour.
    reach = period_ms() // HOUR_MS + FUTURE_MS // HOUR_MS + 1
    for sid in series_ids(metric, entity, tags)[:limit]:
        m, e, t = parse_series_id(sid)
        raw = _raw_points(cast(bytes | None, redis.get(RAW + sid)))
        raw_from = min(raw)[0] if raw else None
        first_hour, last_hour = start_ms // HOUR_MS, end_ms // HOUR_MS
        if last_hour - first_hour > reach:
            newest = max([now + FUTURE_MS, *(p[0] for p in raw)]) // HOUR_MS
            last_hour = min(last_hour, newest)
            first_hour = max(first_hour, last_hour - reach)
        pipe = redis.pipeline(transaction=False)
        for hour in range(first_hour, last_hour + 1):
            pipe.hgetall(f"{PREFIX}a:{sid}:{hour}")
        points: list[tuple[int, float]] = []
        for buckets in pipe.execute():
            for minute, text in buckets.items():
                at = int(minute) * MINUTE_MS
                if start_ms <= at <= end_ms:
                    count, total = text.split(b" ", 2)[:2]
                    points.append((at, float(total) / int(count)))
        points.extend(p for p in raw if start_ms <= p[0] <= end_ms)
        points.sort(key=itemgetter(0))
        result.append(Series(m, e, t, points, raw_from))
    return result


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


def expire(now_ms: int | None = None) -> dict[str, int]:
    """The beat task's work: drop raw points older than the period (outside the
    history, so not folded), forget series with nothing left. Aggregate buckets
    expire by their own TTL.

    Returns ``{"trimmed": raw points removed, "forgotten": series removed}``.
    """
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    cutoff = now_ms - period_ms()
    hours = [cutoff, cutoff // HOUR_MS, (now_ms + FUTURE_MS) // HOUR_MS]
    redis = client()
    script = _script(_EXPIRE_LUA)
    trimmed = forgotten = 0
    page: list[bytes] = []
    for sid in redis.sscan_iter(SERIES_SET, count=500):
        page.append(sid)
        if len(page) == EXPIRE_PAGE:
            t, f = script(keys=[], args=[*hours, *page])
            trimmed, forgotten, page = trimmed + t, forgotten + f, []
    if page:
        t, f = script(keys=[], args=[*hours, *page])
        trimmed, forgotten = trimmed + t, forgotten + f
    if forgotten:
        forget_known()
    return {"trimmed": trimmed, "forgotten": forgotten}
