"""Count and time windows (spec §3.3) and window specs (``length(3)``, ``time(15 minute)``).

Both windows keep samples ordered by time (a late sample lands at its time position,
after samples with an equal time) and implement ``rules.expressions.context.SampleWindow``
by inheriting the incremental aggregates of ``RunningStats``. They know nothing about
rules, status or clocks other than the ``now_ms`` they are handed.

Memory: a partition may hold a million windows, most of them small. A window of up to
``SMALL_WINDOW`` samples keeps its times and values in two machine arrays (8 bytes a
sample, no object per sample); evicting the oldest moves at most that many bytes. A
larger window keeps deques, where eviction is O(1) whatever the size: count windows
over ``SMALL_WINDOW`` from the start, time windows from the first time they are found
holding more (the arrays are converted on the next insert that prunes or lands early).
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_right
from collections import deque
from collections.abc import MutableSequence
from dataclasses import dataclass

from rules.engine.aggregates import RunningStats

_MS = {
    "millisecond": 1,
    "second": 1_000,
    "minute": 60_000,
    "hour": 3_600_000,
    "day": 86_400_000,
    "week": 7 * 86_400_000,
    # Calendar units as fixed lengths [decision]: a window is a duration, not a calendar
    # range, so a month is 30 days, a quarter 90 days and a year 365 days.
    "month": 30 * 86_400_000,
    "quarter": 90 * 86_400_000,
    "year": 365 * 86_400_000,
}
UNIT_MS: dict[str, int] = {**_MS, **{f"{k}s": v for k, v in _MS.items()}}

_SPEC_RE = re.compile(r"^\s*(length|count|time)\s*\(\s*([^)]*?)\s*\)\s*$", re.IGNORECASE | re.ASCII)
_COUNT_ARG_RE = re.compile(r"[0-9]+\Z", re.ASCII)
_TIME_ARG_RE = re.compile(r"([0-9]+)\s*([A-Za-z]+)\Z", re.ASCII)
# Longer numbers are refused before int() (which refuses above 4,300 digits anyway).
_MAX_DIGITS = 18

# Samples a window keeps in arrays (see the module doc): removing the oldest then moves
# at most 8 KB, about what a deque costs in allocation per sample.
SMALL_WINDOW = 1024
# Count windows up to this size reserve their arrays exactly (see ``_reserved``).
_RESERVED_UP_TO = 63


def _reserved(typecode: str, size: int) -> array:  # type: ignore[type-arg]
    """An empty array with room for ``size`` items and no more. A count window holds at
    most capacity + 1 samples (for an instant, before the eviction), so its arrays then
    never grow, and never carry the slack an append leaves (6 items of 16 for a
    ``length(10)``). It relies on CPython keeping an array's buffer when it shrinks by
    fewer than 16 items: for memory only, the behaviour is the same either way."""
    items = array(typecode, [0]) * size  # repetition allocates exactly
    while items:
        del items[max(0, len(items) - 15) :]
    return items


class WindowSpecError(ValueError):
    """A window text that is not ``length(N)``, ``count(N)`` or ``time(N unit)``, or
    one larger than the limits it was parsed under."""


@dataclass(frozen=True, slots=True)
class WindowLimits:
    """The largest windows a rule may declare: samples of a count window, milliseconds
    of a time window (None: no limit). Rule forms, rules.xml import and the engine parse
    under the same limits (settings ``RULE_MAX_WINDOW_COUNT``/``RULE_MAX_WINDOW_SECONDS``)."""

    max_count: int | None = None
    max_ms: int | None = None


NO_LIMITS = WindowLimits()


@dataclass(frozen=True, slots=True)
class WindowSpec:
    """A parsed window. ``kind`` is ``count`` or ``time``; ``size`` is N or milliseconds.

    ``text`` is the canonical form shown by the ``window`` placeholder and stored in XML:
    ``length(N)`` for count windows, ``time(N unit)`` (unit lower case, as written).
    """

    kind: str
    size: int
    text: str

    @property
    def display(self) -> str:
        """The UI form: ``count(N)`` / ``time(N unit)``."""
        return f"count({self.size})" if self.kind == "count" else self.text

    def new_window(
        self, *, track_min: bool = True, track_max: bool = True
    ) -> CountWindow | TimeWindow:
        """An empty window of this spec (``track_*``: see ``RunningStats``)."""
        if self.kind == "count":
            return CountWindow(self.size, track_min=track_min, track_max=track_max)
        return TimeWindow(self.size, track_min=track_min, track_max=track_max)


def _whole(digits: str, text: str) -> int:
    if len(digits.lstrip("0")) > _MAX_DIGITS:
        raise WindowSpecError(f"window {text!r}: {digits[:20]}… is too large")
    return int(digits)


def parse_window_spec(text: str, limits: WindowLimits = NO_LIMITS) -> WindowSpec:
    """Parse ``length(N)``/``count(N)``/``time(N unit)``; N a whole number, units
    millisecond…year, any case, singular or plural. Raises ``WindowSpecError`` saying
    what is wrong, naming the setting when the window is over ``limits``.

    The one window parser: the rule editor and rules.xml import validate with it, so a
    rule that saves is a rule the engine runs.
    """
    if not isinstance(text, str) or not text.strip():
        raise WindowSpecError("window is empty: expected length(N), count(N) or time(N unit)")
    m = _SPEC_RE.match(text)
    if not m:
        raise WindowSpecError(
            f"window {text!r} is not length(N), count(N) or time(N unit), e.g. time(15 minute)"
        )
    kind, arg = m.group(1).lower(), m.group(2)
    if kind in ("length", "count"):
        if not _COUNT_ARG_RE.match(arg):
            raise WindowSpecError(f"window {text!r}: count must be a positive integer, got {arg!r}")
        n = _whole(arg, text)
        if n < 1:
            raise WindowSpecError(f"window {text!r}: count must be at least 1")
        if limits.max_count is not None and n > limits.max_count:
            raise WindowSpecError(
                f"window {text!r}: {n} samples is more than the limit of "
                f"{limits.max_count} (RULE_MAX_WINDOW_COUNT)"
            )
        return WindowSpec("count", n, f"length({n})")
    tm = _TIME_ARG_RE.match(arg)
    if not tm:
        raise WindowSpecError(
            f"window {text!r}: expected time(N unit) with a whole N, e.g. time(15 minute)"
        )
    n, unit = _whole(tm.group(1), text), tm.group(2).lower()
    if unit not in UNIT_MS:
        raise WindowSpecError(
            f"window {text!r}: unknown unit {tm.group(2)!r}; use millisecond, second, minute, "
            "hour, day, week, month, quarter or year"
        )
    if n < 1:
        raise WindowSpecError(f"window {text!r}: duration must be at least 1 {unit}")
    duration_ms = n * UNIT_MS[unit]
    if limits.max_ms is not None and duration_ms > limits.max_ms:
        raise WindowSpecError(
            f"window {text!r} is longer than the limit of {limits.max_ms // 1000:,} seconds "
            "(RULE_MAX_WINDOW_SECONDS)"
        )
    return WindowSpec("time", duration_ms, f"time({n} {unit})")


class _Window(RunningStats):
    """Samples in time order: ``_t`` holds times beside the values kept by RunningStats,
    both arrays (``small``) or both deques (see the module doc)."""

    __slots__ = ("_t", "max_time")

    def __init__(
        self, *, small: bool, reserve: int = 0, track_min: bool = True, track_max: bool = True
    ) -> None:
        super().__init__(track_min=track_min, track_max=track_max)
        self._t: MutableSequence[int]
        if reserve:
            self._t = _reserved("q", reserve)
            self._all = _reserved("d", reserve)  # type: ignore[assignment]
        elif small:
            self._t = array("q")
            # RunningStats needs of its value sequence only what arrays and deques share.
            self._all = array("d")  # type: ignore[assignment]
        else:
            self._t = deque()
        # Largest time accepted so far; the out-of-order filter compares against it and it
        # survives eviction, as spec §3.1 step 10 speaks of times "this window has seen".
        self.max_time: int | None = None

    def times(self) -> list[int]:
        """Sample times (Unix ms), oldest first (a copy)."""
        return list(self._t)

    def samples(self) -> list[tuple[int, float]]:
        """(time, value) pairs, oldest first."""
        return list(zip(self._t, self._all, strict=True))

    def first_time(self) -> int | None:
        return self._t[0] if self._t else None

    def last_time(self) -> int | None:
        return self._t[-1] if self._t else None

    def _put(self, t: int, v: float) -> int:
        """Insert at the time position (after equal times); returns the position."""
        ts = self._t
        mt = self.max_time
        if mt is None or t > mt:
            self.max_time = t
        if not ts or t >= ts[-1]:
            ts.append(t)
            self.append(v)
            return len(ts) - 1
        pos = bisect_right(ts, t)
        ts.insert(pos, t)
        self.insert(pos, v)
        return pos

    def _pop_oldest(self) -> tuple[int, float]:
        ts = self._t
        t = ts[0]
        del ts[0]
        return t, self.popleft()

    def _use_deques(self) -> None:
        """Move the samples of a window grown past ``SMALL_WINDOW`` into deques."""
        self._t = deque(self._t)
        self._all = deque(self._all)

    def clear(self) -> None:
        if isinstance(self._t, array):
            self._t = array("q")
            self._all = array("d")  # type: ignore[assignment]
            self._reset_empty()
            return
        super().clear()
        self._t.clear()


class CountWindow(_Window):
    """``length(N)``: at most N samples; the oldest is evicted when over N (not an exit)."""

    __slots__ = ("capacity",)

    def __init__(self, capacity: int, *, track_min: bool = True, track_max: bool = True) -> None:
        small = capacity <= SMALL_WINDOW
        super().__init__(
            small=small,
            reserve=capacity + 1 if small and capacity <= _RESERVED_UP_TO else 0,
            track_min=track_min,
            track_max=track_max,
        )
        if capacity < 1:
            raise ValueError("count window capacity must be at least 1")
        self.capacity = capacity

    def insert_sample(self, t: int, v: float) -> bool:
        """Insert a sample; always True (a count window always evaluates, spec §3.3).

        When the window is full and the sample is older than every sample held, it would
        be the one evicted: the contents stay unchanged [decision in §3.3].
        """
        self.add(t, v)
        return True

    def add(self, t: int, v: float) -> int:
        """``insert_sample`` returning how many samples left: 1 when the window was
        full (the oldest, or the new sample itself when it is the oldest), else 0."""
        ts = self._t
        if len(ts) >= self.capacity and t < ts[0]:
            mt = self.max_time
            if mt is None or t > mt:
                self.max_time = t
            return 1
        self._put(t, v)
        if len(ts) > self.capacity:
            self._pop_oldest()
            return 1
        return 0


class TimeWindow(_Window):
    """``time(D)``: samples with time ≥ now - D; no upper bound on future times."""

    __slots__ = ("duration_ms",)

    def __init__(self, duration_ms: int, *, track_min: bool = True, track_max: bool = True) -> None:
        super().__init__(small=True, track_min=track_min, track_max=track_max)
        if duration_ms < 1:
            raise ValueError("time window duration must be at least 1 ms")
        self.duration_ms = duration_ms

    def insert_sample(self, t: int, v: float, now_ms: int) -> bool:
        """Prune samples older than ``now - D`` (silently), then insert.

        Returns False, leaving the sample out, when it is itself older than ``now - D``:
        such an event is ignored and not evaluated (spec §3.3).
        """
        if self.add(t, v, now_ms) < 0:
            self.expire(now_ms)
            return False
        return True

    def add(self, t: int, v: float, now_ms: int) -> int:
        """Prune, then insert; returns how many samples were pruned. A sample older than
        ``now - D`` changes nothing (no pruning either) and gives -1."""
        cutoff = now_ms - self.duration_ms
        if t < cutoff:
            return -1
        ts = self._t
        removed = 0
        if ts and ts[0] < cutoff:
            if len(ts) > SMALL_WINDOW and isinstance(ts, array):
                self._use_deques()
                ts = self._t
            popleft = self.popleft
            while ts and ts[0] < cutoff:
                del ts[0]
                popleft()
                removed += 1
        if not ts or t < ts[-1]:
            self._put(t, v)
            return removed
        # In-order arrival into a non-empty window, the common case: _put's fast branch
        # and RunningStats.append, inlined (this runs once per sample).
        self.max_time = t
        ts.append(t)
        self._all.append(v)
        if v != v:
            if self._nn is None:
                self._nn = deque(x for x in self._all if x == x)
            self._n_nan += 1
            return removed
        nn = self._nn
        if nn is not None:
            nn.append(v)
        s = self._sum
        x = s + v
        b = x - s
        self._comp += (s - (x - b)) + (v - b)
        self._sum = x
        if self._sorted is not None:
            self._order_add(v)
            return removed
        if v > self._hi:
            self._hi = v
        if v < self._lo:
            self._lo = v
        return removed

    def expire(self, now_ms: int) -> list[tuple[int, float]]:
        """Remove samples older than ``now - D``; returns them oldest first (Check On Exit)."""
        cutoff = now_ms - self.duration_ms
        ts = self._t
        if len(ts) > SMALL_WINDOW and isinstance(ts, array):
            self._use_deques()
            ts = self._t
        removed: list[tuple[int, float]] = []
        while ts and ts[0] < cutoff:
            removed.append(self._pop_oldest())
        return removed

    def next_expiry(self) -> int | None:
        """The ``now`` at which the oldest sample expires, None when empty (for sweepers)."""
        return self._t[0] + self.duration_ms + 1 if self._t else None
