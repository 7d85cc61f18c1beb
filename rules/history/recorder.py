"""Recording the series history: every accepted numeric sample, kept in Redis for charts.

``record`` is the ingest hook (called once per batch by ``rules.ingest.pipeline.hand_off``).

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
needed. Measured flush costs are in docs/performance.md.
"""

from __future__ import annotations

import logging
import math
import struct
import threading
import time
from collections import deque
from collections.abc import Iterable, Sequence
from itertools import chain
from typing import Any

import orjson
from django.conf import settings

from rules.events import SERIES, Event
from rules.history.layout import FUTURE_MS, SEP, period_ms, script, tags_text

log = logging.getLogger(__name__)

# Redis does at least one command per series per flush: at 10k busy series a 1 s
# flush costs a fifth of what 0.2 s did, and a chart a second behind is still current.
FLUSH_S = 1.0
MAX_BUFFERED_BATCHES = 10_000

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


def group(
    events: Iterable[Event], lo: int | None = None, hi: int | None = None
) -> tuple[dict[str, list[Any]], int]:
    """Series id → [t1, v1, t2, v2, ...] for the finite series samples with a time in
    ``[lo, hi]`` (any time when not given), and how many finite samples were outside."""
    groups: dict[str, list[Any]] = {}
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
    rows: list[list[Any]] = []
    new_sids: list[str] = []
    new_rows: list[list[Any]] = []
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
    dropped_there, unregistered = script(_RECORD_LUA)(keys=[], args=args)
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
