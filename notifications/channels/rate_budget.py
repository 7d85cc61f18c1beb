"""Rate budgets shared by every notify worker: how many more requests a service takes
in its current limit window, learned from its rate-limit headers and spent *before* a
request leaves, kept in Redis so that every thread and process agrees.

A budget is one scope of a service's limits (HipChat, ``hipchat-v2.md`` §1.6: a token,
500 requests per 5 minutes; a room, 30 messages a minute), counted in the fixed window
whose end the service announces on every answer (``X-Ratelimit-Reset``,
``X-FloodControl-Reset``). :func:`take` spends one request from each scope a request
uses, all or none, or says how long to wait; :func:`observe` adopts what an answer's
headers said. A scope no answer has described yet is not held back: its limit is only
known from the headers (a Server install may have raised it), and the requests that
can leave before the first answer are bounded by the number of notify workers. When an
announced window has ended, the next one is assumed to start then and last the scope's
documented period, with the limit last announced, until an answer says otherwise.

Redis being unreachable holds nothing back: the service's own 429 remains the backstop,
and the delivery retries it as before.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from redis.commands.core import Script
from redis.exceptions import RedisError

from atsd_alerts.redis import client, key

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Scope:
    """One limit of a service: ``name`` identifies it without secrets (a hash of a
    token, a room of a host); ``period_s`` is the documented length of its window."""

    name: str
    period_s: float


@dataclass(frozen=True)
class Observed:
    """What one answer said of a scope: its limit, what remains of it, and when the
    window ends (Unix seconds)."""

    scope: Scope
    limit: int
    remaining: int
    reset: float


# KEYS: the scopes' keys; ARGV: now, then each scope's period. All or nothing: when one
# scope is spent, nothing is taken and the longest wait is returned (as a string: Redis
# turns Lua numbers into integers).
_TAKE = """
local now = tonumber(ARGV[1])
local wait = 0
local states = {}
for i, k in ipairs(KEYS) do
  local period = tonumber(ARGV[i + 1])
  local s = redis.call('HMGET', k, 'limit', 'reset', 'used')
  local limit, reset, used = tonumber(s[1]), tonumber(s[2]), tonumber(s[3])
  if limit then
    if now >= reset then
      reset = now + period
      used = 0
    end
    if used >= limit then
      wait = math.max(wait, reset - now)
    end
    states[i] = {limit, reset, used, period}
  end
end
if wait > 0 then
  return tostring(wait)
end
for i, k in ipairs(KEYS) do
  local st = states[i]
  if st then
    redis.call('HSET', k, 'limit', st[1], 'reset', tostring(st[2]), 'used', st[3] + 1)
    redis.call('EXPIRE', k, math.ceil(st[2] - now + st[4]))
  end
end
return '0'
"""

# KEYS: the scopes' keys; ARGV: now, then limit, remaining, reset, period of each. An
# answer from an older window changes nothing; one from the same window can only raise
# the count (requests in flight are counted here before the service has seen them).
_OBSERVE = """
local now = tonumber(ARGV[1])
for i, k in ipairs(KEYS) do
  local at = 4 * (i - 1) + 1
  local limit, remaining = tonumber(ARGV[at + 1]), tonumber(ARGV[at + 2])
  local reset, period = tonumber(ARGV[at + 3]), tonumber(ARGV[at + 4])
  local s = redis.call('HMGET', k, 'reset', 'used')
  local known, used = tonumber(s[1]), tonumber(s[2]) or 0
  local counted = math.max(0, limit - remaining)
  local stale = false
  if known then
    if reset + period <= known then
      stale = true
    elseif reset < known + period then
      counted = math.max(counted, used)
    end
  end
  if not stale then
    redis.call('HSET', k, 'limit', limit, 'reset', tostring(reset), 'used', counted)
    redis.call('EXPIRE', k, math.max(1, math.ceil(reset - now + period)))
  end
end
return 1
"""


def _key(scope: Scope) -> str:
    return key("notify", "budget", scope.name)


_scripts: dict[tuple[int, str], Script] = {}


def _script(source: str) -> Script:
    redis = client()
    found = _scripts.get((id(redis), source))
    if found is None:
        found = _scripts[(id(redis), source)] = redis.register_script(source)
    return found


def take(scopes: Sequence[Scope], now: float | None = None) -> float:
    """Spend one request from every scope in ``scopes``: 0 when the request may leave,
    else the seconds until the first of them has room again (nothing spent)."""
    if not scopes:
        return 0.0
    now = time.time() if now is None else now
    try:
        answer = _script(_TAKE)(
            keys=[_key(s) for s in scopes], args=[repr(now), *(repr(s.period_s) for s in scopes)]
        )
    except RedisError as exc:
        log.warning("rate budget unavailable, the request is not held back: %s", exc)
        return 0.0
    return max(0.0, float(answer.decode() if isinstance(answer, bytes) else answer))


def observe(observed: Sequence[Observed], now: float | None = None) -> None:
    """Adopt the limits an answer announced (one round trip for all its scopes)."""
    if not observed:
        return
    now = time.time() if now is None else now
    args: list[str | int] = [repr(now)]
    for o in observed:
        args += [o.limit, o.remaining, repr(o.reset), repr(o.scope.period_s)]
    try:
        _script(_OBSERVE)(keys=[_key(o.scope) for o in observed], args=args)
    except RedisError as exc:
        log.warning("rate budget unavailable, an answer's limits are not kept: %s", exc)
