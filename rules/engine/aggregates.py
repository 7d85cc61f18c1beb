"""Incremental aggregates over the values of one window (spec §4.5, design "Performance shape").

``RunningStats`` is an ordered sequence of values (NaN included) that only ever loses its
*oldest* value: both window kinds evict from the old end (capacity eviction of a count
window, expiry of a time window), while inserts land at the new end or, for a late
sample, somewhere in the middle. That shape is what makes O(1) amortised aggregates
possible:

* count, countNaN, sum (compensated: TwoSum error terms), avg: O(1).
* first, last: O(1) from a deque of the non-NaN values in order.
* min, max: O(1) amortised from monotonic deques while samples arrive in time order.
  A late (middle) insert breaks the monotonic-deque invariant, so the sequence then
  switches to a ``SortedList`` and min/max become O(log n) until it empties. Windows of
  rules that never ask for min()/max() keep no deque for it (see ``RunningStats``).
* percentile/median: O(log n) per update from a ``SortedList`` that is built on the
  first percentile request and maintained from then on (windows whose condition never
  asks for a percentile never pay for it).

Out-of-order inserts themselves cost O(n) (a deque insert in the middle); they are the
rare path by construction (ATSD collectors send in time order).
"""

from __future__ import annotations

import math
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from itertools import islice
from typing import Any

from sortedcontainers import SortedList

NAN = math.nan


def percentile_r6(ordered: Sequence[float], p: float) -> float:
    """NIST R6 percentile of already sorted non-NaN values; NaN when empty.

    ``r = p/100·(n+1)``; r ≤ 1 → x₁; r ≥ n → xₙ; else ``x_k + (r-k)(x_{k+1}-x_k)``,
    k = ⌊r⌋ (1-based), as spec §4.5 states.
    """
    n = len(ordered)
    if n == 0:
        return NAN
    r = p / 100.0 * (n + 1)
    if r <= 1:
        return ordered[0]
    if r >= n:
        return ordered[n - 1]
    k = int(r)
    lo = ordered[k - 1]
    return lo + (r - k) * (ordered[k] - lo)


class RunningStats:
    """An ordered value sequence with incremental aggregates over its non-NaN values.

    Contract: ``append`` adds the newest value, ``insert(index, v)`` adds a value at a
    position of the full sequence (NaN included), ``popleft`` removes the oldest. The
    aggregate methods follow spec §4.5 (empty → NaN, counts → 0).

    ``track_min``/``track_max`` False skip the monotonic deque of that aggregate: the
    engine turns them off for rules whose expressions never call min()/max(), and a
    call then scans the values, O(n) (trigger snapshots and window summaries only).
    """

    __slots__ = (
        "_all",
        "_comp",
        "_maxh",
        "_maxq",
        "_minh",
        "_minq",
        "_n_nan",
        "_nn",
        "_sorted",
        "_sum",
        "_track_max",
        "_track_min",
        "_want_sorted",
    )

    def __init__(self, *, track_min: bool = True, track_max: bool = True) -> None:
        self._all: deque[float] = deque()  # every value, NaN included, oldest first
        # Non-NaN values, oldest first, kept only while NaN values are present: without
        # them ``_all`` is that sequence (the common case, one deque less per sample).
        # Built on the first NaN; each value is copied into it at most once while it
        # stays, so O(1) amortised.
        self._nn: deque[float] | None = None
        self._n_nan = 0
        self._sum = 0.0
        self._comp = 0.0  # accumulated rounding errors of _sum (TwoSum)
        self._track_min = track_min
        self._track_max = track_max
        # Monotonic queues of values in arrival order: _maxq non-increasing, _minq
        # non-decreasing, from the head index _maxh/_minh on; the head is the aggregate.
        # Equal values are all kept, so when the oldest value leaves, it is the head
        # exactly when it equals the head. Plain double arrays rather than deques of
        # float objects: the comparisons then never touch the (long evicted from cache)
        # float objects of earlier samples, which dominated the cost with many windows.
        self._maxq: array[float] | None = array("d") if track_max else None
        self._minq: array[float] | None = array("d") if track_min else None
        self._maxh = 0
        self._minh = 0
        self._sorted: SortedList | None = None
        self._want_sorted = False  # a percentile was asked for: keep the SortedList

    # -- updates -------------------------------------------------------------------

    def append(self, v: float) -> None:
        """Add ``v`` as the newest value."""
        self._all.append(v)
        if v != v:  # NaN: only counted
            if self._nn is None:
                self._nn = deque(x for x in self._all if x == x)
            self._n_nan += 1
            return
        nn = self._nn
        if nn is not None:
            nn.append(v)
        # Compensated sum, inlined: this runs once per sample. Knuth's TwoSum gives the
        # exact rounding error of s + v without Neumaier's magnitude test (the same
        # error term, fewer operations).
        s = self._sum
        t = s + v
        b = t - s
        self._comp += (s - (t - b)) + (v - b)
        self._sum = t
        if self._sorted is not None:
            self._sorted.add(v)
            return
        q = self._maxq
        if q is not None:
            m = len(q)
            if m > self._maxh and q[m - 1] < v:  # drop the tail values below v
                h = self._maxh
                m -= 1
                while m > h and q[m - 1] < v:
                    m -= 1
                del q[m:]
            q.append(v)
        q = self._minq
        if q is not None:
            m = len(q)
            if m > self._minh and q[m - 1] > v:  # drop the tail values above v
                h = self._minh
                m -= 1
                while m > h and q[m - 1] > v:
                    m -= 1
                del q[m:]
            q.append(v)

    def insert(self, index: int, v: float) -> None:
        """Add ``v`` at position ``index`` of the full sequence (a late sample)."""
        size = len(self._all)
        if index >= size:
            self.append(v)
            return
        # Position among the non-NaN values = non-NaN values before ``index``.
        nn_index = (
            index - sum(1 for x in islice(self._all, index) if x != x) if self._n_nan else index
        )
        if self._sorted is None:
            # The monotonic deques rely on arrival order matching sequence order, which
            # a middle insert breaks; ordered storage keeps min/max exact from here on.
            self._build_sorted()
        if v != v:
            if self._nn is None:
                self._nn = deque(self._all)
            self._all.insert(index, v)
            self._n_nan += 1
            return
        self._all.insert(index, v)
        if self._nn is not None:
            self._nn.insert(nn_index, v)
        self._add_sum(v)
        self._sorted.add(v)  # type: ignore[union-attr]

    def popleft(self) -> float:
        """Remove and return the oldest value (NaN included). IndexError when empty."""
        values = self._all
        v = values[0]
        del values[0]  # a deque, or an array for small windows (rules.engine.windows)
        if v != v:
            self._n_nan -= 1
            if not self._n_nan:
                self._nn = None
        else:
            nn = self._nn
            if nn is not None:
                nn.popleft()
            s = self._sum
            t = s - v
            b = t - s
            self._comp += (s - (t - b)) - (v + b)  # TwoSum of s + (-v)
            self._sum = t
            if self._sorted is not None:
                self._sorted.remove(v)
            else:
                q = self._maxq
                if q is not None and q[self._maxh] == v:
                    self._maxh = _advance(q, self._maxh)
                q = self._minq
                if q is not None and q[self._minh] == v:
                    self._minh = _advance(q, self._minh)
        if not self._all:
            self._reset_empty()
        return v

    def clear(self) -> None:
        """Remove every value (the sorted mode is kept if a percentile was asked for)."""
        self._all.clear()
        self._reset_empty()

    def _reset_empty(self) -> None:
        # An empty sequence has an exact sum of 0; dropping accumulated rounding here
        # keeps the compensated sum from drifting over a long-lived window.
        self._nn = None
        self._n_nan = 0
        self._sum = 0.0
        self._comp = 0.0
        if self._want_sorted:
            self._sorted = SortedList()
            self._maxq = self._minq = None
        else:
            self._sorted = None
            self._maxq = array("d") if self._track_max else None
            self._minq = array("d") if self._track_min else None
        self._maxh = self._minh = 0

    def _add_sum(self, x: float) -> None:
        s = self._sum
        t = s + x
        b = t - s
        self._comp += (s - (t - b)) + (x - b)
        self._sum = t

    def _build_sorted(self) -> None:
        self._sorted = SortedList(self._all if self._nn is None else self._nn)
        self._maxq = self._minq = None

    # -- reads ---------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._all)

    def values(self) -> list[float]:
        """All values, NaN included, oldest first (a copy)."""
        return list(self._all)

    def count(self) -> int:
        return len(self._all) - self._n_nan

    def count_nan(self) -> int:
        return self._n_nan

    def sum(self) -> float:
        return self._sum + self._comp if len(self._all) > self._n_nan else NAN

    def avg(self) -> float:
        n = len(self._all) - self._n_nan
        return (self._sum + self._comp) / n if n else NAN

    def min(self) -> float:
        nn = self._nn
        if nn is None:
            nn = self._all
        if not nn:
            return NAN
        if self._sorted is not None:
            return self._sorted[0]
        q = self._minq
        return q[self._minh] if q is not None else min(nn)

    def max(self) -> float:
        nn = self._nn
        if nn is None:
            nn = self._all
        if not nn:
            return NAN
        if self._sorted is not None:
            return self._sorted[-1]
        q = self._maxq
        return q[self._maxh] if q is not None else max(nn)

    def first(self) -> float:
        nn = self._nn
        if nn is None:
            nn = self._all
        return nn[0] if nn else NAN

    def last(self) -> float:
        nn = self._nn
        if nn is None:
            nn = self._all
        return nn[-1] if nn else NAN

    def percentile(self, p: float) -> float:
        """NIST R6 percentile of the non-NaN values; O(log n) once the SortedList exists."""
        if self._sorted is None:
            self._build_sorted()
        self._want_sorted = True
        return percentile_r6(self._sorted, p)  # type: ignore[arg-type]

    def median(self) -> float:
        return self.percentile(50.0)


def _advance(q: array[float], head: int) -> int:
    """Drop the head of a monotonic queue; returns the new head index. The consumed
    prefix is cut off once it is the larger half, so O(1) amortised."""
    head += 1
    if head >= 32 and head * 2 >= len(q):
        del q[:head]
        return 0
    return head


def describe(values: Iterable[float], times: Iterable[int] | None = None) -> dict[str, float]:
    """The details-table statistics (spec §6) recomputed over a window, O(n log n).

    Used once per trigger snapshot, never per sample. NaN values are skipped; keys
    follow the details table (``count``, ``sum``, ``avg``, ``first``, ``last``, ``diff``,
    ``max``, ``min``, ``variance``, ``stddev``, ``wavg``, ``wtavg``, ``percentile(N)``,
    ``slope``, ``intercept``). Empty → count 0 and NaN elsewhere.
    """
    vals = list(values)
    ts = list(times) if times is not None else None
    pairs = [(ts[i] if ts is not None else i, v) for i, v in enumerate(vals) if not math.isnan(v)]
    n = len(pairs)
    out: dict[str, float] = {"count": n, "countNaN": len(vals) - n}
    keys = ("sum", "avg", "first", "last", "diff", "max", "min", "variance", "stddev",
            "wavg", "wtavg", "percentile(50)", "percentile(75)", "percentile(90)",
            "percentile(95)", "percentile(99)", "slope", "intercept")  # fmt: skip
    if n == 0:
        out.update(dict.fromkeys(keys, NAN))
        return out
    xs = [v for _, v in pairs]
    total = math.fsum(xs)
    mean = total / n
    ordered = sorted(xs)
    out["sum"] = total
    out["avg"] = mean
    out["first"] = xs[0]
    out["last"] = xs[-1]
    out["diff"] = xs[-1] - xs[0]
    out["max"] = ordered[-1]
    out["min"] = ordered[0]
    var = math.fsum((x - mean) ** 2 for x in xs) / (n - 1) if n > 1 else 0.0
    out["variance"] = var
    out["stddev"] = math.sqrt(var)
    out["wavg"] = math.fsum(i * x for i, x in enumerate(xs, 1)) / (n * (n + 1) / 2)
    if ts is not None:
        secs = [t // 1000 for t, _ in pairs]
        span = secs[-1] - secs[0] + 1
        weights = [(s - secs[0] + 1) / span for s in secs]
        out["wtavg"] = math.fsum(w * x for w, x in zip(weights, xs, strict=True)) / math.fsum(
            weights
        )
        tms = [float(t) for t, _ in pairs]
        tmean = math.fsum(tms) / n
        sxx = math.fsum((t - tmean) ** 2 for t in tms)
        if sxx > 0:
            slope = math.fsum((t - tmean) * (x - mean) for t, x in zip(tms, xs, strict=True)) / sxx
            out["slope"] = slope
            out["intercept"] = mean - slope * tmean
        else:
            out["slope"] = out["intercept"] = NAN
    else:
        out["wtavg"] = out["slope"] = out["intercept"] = NAN
    for p in (50, 75, 90, 95, 99):
        out[f"percentile({p})"] = percentile_r6(ordered, p)
    return out


# -- conditions evaluated on the window --------------------------------------------------
# A condition such as ``avg() > 10 || max() > 85`` is described by the compiler as a
# window plan (``rules.expressions.compiler.window_plan``). ``plan_evaluator`` turns it
# into a function of the window alone, reading the running aggregates in place: no scope
# to bind, no closure per operator, no function call per aggregate for the common ones.
# The aggregates of ``RunningStats`` are always int/float and never raise, so the
# comparisons are plain Python ones, which §4.3 gives for numbers (false with NaN, but
# ``!=``); the property tests compare every shape with the compiled closure.

WindowCheck = Callable[[RunningStats], bool]


def plan_evaluator(plan: tuple[Any, ...]) -> WindowCheck:
    """``fn(window) -> bool`` giving what the planned condition gives on that window."""
    kind = plan[0]
    if kind == "cmp":
        return _comparison(plan[1], plan[2], plan[3])
    if kind == "not":
        inner = plan_evaluator(plan[1])
        return lambda w: not inner(w)
    a, b = plan_evaluator(plan[1]), plan_evaluator(plan[2])
    if kind == "and":
        return lambda w: a(w) and b(w)
    return lambda w: a(w) or b(w)


_READERS: dict[str, Callable[[RunningStats], float]] = {
    "count": RunningStats.count,
    "count_nan": RunningStats.count_nan,
    "sum": RunningStats.sum,
    "avg": RunningStats.avg,
    "min": RunningStats.min,
    "max": RunningStats.max,
    "first": RunningStats.first,
    "last": RunningStats.last,
}


def _comparison(aggregate: str | tuple[str, float], op: str, c: float) -> WindowCheck:
    """``aggregate op c`` for a window."""
    if op == ">":
        if aggregate == "avg":
            nan_result = False

            def avg_gt(w: RunningStats) -> bool:
                n = len(w._all) - w._n_nan
                return (w._sum + w._comp) / n > c if n else nan_result

            return avg_gt
        if aggregate == "max":

            def max_gt(w: RunningStats) -> bool:
                q = w._maxq  # None in sorted mode
                if q is not None and len(w._all) > w._n_nan:
                    return q[w._maxh] > c
                return w.max() > c

            return max_gt
    if op == "<" and aggregate == "min":

        def min_lt(w: RunningStats) -> bool:
            q = w._minq  # None in sorted mode
            if q is not None and len(w._all) > w._n_nan:
                return q[w._minh] < c
            return w.min() < c

        return min_lt
    read: Callable[[RunningStats], float]
    if isinstance(aggregate, tuple):
        p = aggregate[1]

        def read(w: RunningStats) -> float:
            return w.percentile(p)

    else:
        read = _READERS[aggregate]
    if op == ">":
        return lambda w: read(w) > c
    if op == ">=":
        return lambda w: read(w) >= c
    if op == "<":
        return lambda w: read(w) < c
    if op == "<=":
        return lambda w: read(w) <= c
    if op == "==":
        return lambda w: read(w) == c
    return lambda w: read(w) != c
