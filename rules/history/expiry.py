"""Expiry of the series history: the beat task's trim (aggregates expire by their TTL)."""

from __future__ import annotations

import time

from atsd_alerts.redis import client
from rules.history.layout import FUTURE_MS, HOUR_MS, SERIES_SET, period_ms, script
from rules.history.recorder import forget_known

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
    trim = script(_EXPIRE_LUA)
    trimmed = forgotten = 0
    page: list[bytes] = []
    for sid in redis.sscan_iter(SERIES_SET, count=500):
        page.append(sid)
        if len(page) == EXPIRE_PAGE:
            t, f = trim(keys=[], args=[*hours, *page])
            trimmed, forgotten, page = trimmed + t, forgotten + f, []
    if page:
        t, f = trim(keys=[], args=[*hours, *page])
        trimmed, forgotten = trimmed + t, forgotten + f
    if forgotten:
        forget_known()
    return {"trimmed": trimmed, "forgotten": forgotten}
