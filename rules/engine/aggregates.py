"""Incremental aggregates over the values of one window (spec §4.5, design "Performance shape").

``RunningStats`` is an ordered sequence of values (NaN included) that only ever loses its
*oldest* value: both window kinds evict from the old end (capacity eviction of a count
window, expiry of a time window), while inserts land at the new end or, for a late
sample, somewhere in the middle. That shape is what makes O(1) amortised aggregates
possible:

* count, countNaN, sum (compensated: TwoSum error terms), avg: O(1).
* first, last: O(1) from a deque of the non-NaN values in order.
* min, max: O(1) amortised while samples arrive in time order, as a queue made of two
  stacks: the extreme of the values appended since the last rebuild is one running
  float (one comparison per sample), the older values are a "front" of suffix extremes
  read at a head index that moves one step per eviction, rebuilt from the window when
  it runs out (each value enters a front once). A late (middle) insert breaks the
  arrival order this relies on, so the sequence then switches to ordered storage and
  min/max become O(log n) until it empties. Windows of rules that never ask for
  min()/max() keep none of it (see ``RunningStats``).
* percentile/median: O(log n) per update from ordered storage (see ``SortedValues``)
  kept from the window's creation for rules that read order statistics
  (``keep_order``), or built on the first percentile request otherwise; windows of
  rules that never ask for one never pay for it.

Out-of-order inserts themselves cost O(n) (a deque insert in the middle); they are the
rare path by construction (ATSD collectors send in time order).
"""

from __future__ import annotations

import math
import operator
from array import array
from bisect import bisect_left, insort
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from itertools import accumulate, islice
from typing import Any, TypeAlias

from sortedcontainers import SortedList

NAN = math.nan
INF = math.inf
_NO_FRONT: array[float] = array("d")  # shared, never mutated: fronts are replaced whole

# Ordered storage of a window's non-NaN values (min/max after a late sample, and order
# statistics) is the sorted-containers pattern: one sorted array of doubles while it is
# small, where a C-level ``insort``/``bisect`` plus a memmove of at most a few kilobytes
# beats any Python-level walk, and a ``SortedList`` (sorted blocks with a positional
# index, O(log n) per update and per rank lookup) once it holds more than
# ``SMALL_ORDER_MAX`` values, back to an array below ``SMALL_ORDER_MIN`` (the gap keeps a
# window at the border from switching on every sample). Both are indexed by rank, which
# is all that ``percentile_r6`` and min/max need. Doubles rather than a list of float
# objects: a binary search then reads one contiguous buffer instead of the scattered
# float objects of earlier samples, long out of cache when there are many windows.
SMALL_ORDER_MAX = 2048
SMALL_ORDER_MIN = 512
# The functions that read a window's order statistics (without a selector): windows of
# rules that call them keep ordered storage from their first sample.
ORDER_STATISTIC_FUNCTIONS = frozenset({"percentile", "median"})
SortedValues: TypeAlias = "array[float] | SortedList"


def sorted_values(values: Iterable[float]) -> SortedValues:
    """Ordered storage holding ``values`` (non-NaN), in the form its size calls for."""
    ordered = sorted(values)
    return array("d", ordered) if len(ordered) <= SMALL_ORDER_MAX else SortedList(ordered)


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
    ``keep_order`` switches to ordered storage for good (rules that read percentiles).
    """

    __slots__ = (
        "_all",
        "_comp",
        "_fh",
        "_hi",
        "_hif",
        "_lo",
        "_lof",
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
        # max/min as two stacks (module docstring): _hi/_lo the extreme of the values
        # appended since the fronts were built (-inf/+inf: none), _hif/_lof the suffix
        # maxima/minima of the non-NaN values held at that time, oldest first, read at
        # the shared head index _fh. An untracked extreme has no front and a NaN
        # running value, which no comparison ever replaces. Ties go to the older value
        # (front before running value, a new value only when strictly beyond), so the
        # answer is the value max()/min() of the sequence would give.
        self._fh = 0
        self._hi = -INF if track_max else NAN
        self._lo = INF if track_min else NAN
        self._hif: array[float] | None = _NO_FRONT if track_max else None
        self._lof: array[float] | None = _NO_FRONT if track_min else None
        self._sorted: SortedValues | None = None
        self._want_sorted = False  # order statistics are read: keep ordered storage

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
        so = self._sorted
        if so is not None:
            if type(so) is array and len(so) < SMALL_ORDER_MAX:
                insort(so, v)
            else:
                self._order_add(v)
            return
        if v > self._hi:
            self._hi = v
        if v < self._lo:
            self._lo = v

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
            # The min/max stacks rely on arrival order matching sequence order, which a
            # middle insert breaks; ordered storage keeps min/max exact from here on.
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
        self._order_add(v)

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
            so = self._sorted
            if so is not None:
                if type(so) is array:
                    del so[bisect_left(so, v)]
                else:
                    self._order_remove(v)
            else:
                front = self._hif if self._hif is not None else self._lof
                if front is not None:
                    h = self._fh
                    if h < len(front):  # v was the front's oldest value
                        self._fh = h + 1
                    elif self._all:  # v came after the front: the rest becomes one
                        self._build_fronts()
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
        self._fh = 0
        if self._want_sorted:
            self._sorted = array("d")
            self._drop_fronts()
        else:
            self._sorted = None
            self._hi = -INF if self._track_max else NAN
            self._lo = INF if self._track_min else NAN
            self._hif = _NO_FRONT if self._track_max else None
            self._lof = _NO_FRONT if self._track_min else None

    def _add_sum(self, x: float) -> None:
        s = self._sum
        t = s + x
        b = t - s
        self._comp += (s - (t - b)) + (x - b)
        self._sum = t

    def _build_sorted(self) -> None:
        self._sorted = sorted_values(self._all if self._nn is None else self._nn)
        self._drop_fronts()

    def _drop_fronts(self) -> None:
        self._hif = self._lof = None
        self._hi = self._lo = NAN

    def _build_fronts(self) -> None:
        """Every held non-NaN value becomes the front; the running extremes restart."""
        values = self._all if self._nn is None else self._nn
        if self._hif is not None:
            # Suffix maxima, newest first, then turned around; the older value wins ties.
            hi = list(accumulate(reversed(values), _older_max))
            hi.reverse()
            self._hif = array("d", hi)
            self._hi = -INF
        if self._lof is not None:
            lo = list(accumulate(reversed(values), _older_min))
            lo.reverse()
            self._lof = array("d", lo)
            self._lo = INF
        self._fh = 0

    def _order_add(self, v: float) -> None:
        so = self._sorted
        if isinstance(so, SortedList):
            so.add(v)
        elif so is not None:
            insort(so, v)
            if len(so) > SMALL_ORDER_MAX:
                self._sorted = SortedList(so)

    def _order_remove(self, v: float) -> None:
        so = self._sorted
        if isinstance(so, SortedList):
            so.remove(v)
            if len(so) < SMALL_ORDER_MIN:
                self._sorted = array("d", so)
        elif so is not None:
            # The value is held (it left the sequence): the leftmost equal one goes.
            del so[bisect_left(so, v)]

    def keep_order(self) -> None:
        """Keep ordered storage from now on: percentiles and medians are O(log n) per
        update from the first sample (min/max then read it too, and the monotonic
        queues are dropped)."""
        self._want_sorted = True
        if self._sorted is None:
            if self._all:
                self._build_sorted()
            else:  # a new window
                self._sorted = array("d")
                self._drop_fronts()

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
        if self._lof is None:
            return min(nn)
        return _older_min(self._lo, self._front_head(self._lof, INF))

    def max(self) -> float:
        nn = self._nn
        if nn is None:
            nn = self._all
        if not nn:
            return NAN
        if self._sorted is not None:
            return self._sorted[-1]
        if self._hif is None:
            return max(nn)
        return _older_max(self._hi, self._front_head(self._hif, -INF))

    def _front_head(self, front: array[float], none: float) -> float:
        """The extreme of the front's values still held (``none`` when it ran out)."""
        return front[self._fh] if self._fh < len(front) else none

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
        """NIST R6 percentile of the non-NaN values; O(log n) once ordered storage exists
        (the first call builds it and ``keep_order`` keeps it)."""
        if self._sorted is None:
            self.keep_order()
        return percentile_r6(self._sorted, p)  # type: ignore[arg-type]

    def median(self) -> float:
        return self.percentile(50.0)


def _older_max(newer: float, older: float) -> float:
    return older if older >= newer else newer


def _older_min(newer: float, older: float) -> float:
    return older if older <= newer else newer


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
                front = w._hif  # None in sorted mode
                if front is not None and len(w._all) > w._n_nan:
                    h = w._fh
                    return w._hi > c or (h < len(front) and front[h] > c)
                return w.max() > c

            return max_gt
    if op == "<" and aggregate == "min":

        def min_lt(w: RunningStats) -> bool:
            front = w._lof  # None in sorted mode
            if front is not None and len(w._all) > w._n_nan:
                h = w._fh
                return w._lo < c or (h < len(front) and front[h] < c)
            return w.min() < c

        return min_lt
    if isinstance(aggregate, tuple):
        return _percentile_comparison(aggregate[1], _OPERATORS[op], c)
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


_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}


def _percentile_comparison(
    p: float, compare: Callable[[float, float], bool], c: float
) -> WindowCheck:
    """``percentile(p) op c``: ``percentile_r6`` read in place from a small ordered array
    (one Python call per evaluation, the comparison a C function)."""
    fraction = p / 100.0  # percentile_r6's r = p / 100.0 * (n + 1), the same float

    def percentile_compare(w: RunningStats) -> bool:
        so = w._sorted
        if type(so) is not array:  # not built yet, or a SortedList
            return compare(w.percentile(p), c)
        n = len(so)
        if not n:
            return compare(NAN, c)
        r = fraction * (n + 1)
        if r <= 1:
            return compare(so[0], c)
        if r >= n:
            return compare(so[n - 1], c)
        k = int(r)
        lo = so[k - 1]
        return compare(lo + (r - k) * (so[k] - lo), c)

    return percentile_compare
