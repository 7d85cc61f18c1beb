"""A ``SampleWindow`` over a plain list of samples.

What expressions see as a window when the samples do not come from the engine's
incremental windows: a trigger snapshot being rendered, a stretch of the series
history read by ``db_statistic``. Aggregates are recomputed on each call: these
windows serve one render or one function call, not the per-sample hot path.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from rules.expressions.functions.statistics import percentile_r6


class PointsWindow:
    """Samples ``(time ms, value)`` in time order (sorted here), NaN values included."""

    __slots__ = ("_finite", "_times", "_values")

    def __init__(self, points: Iterable[tuple[int, float]]) -> None:
        pairs = sorted(points, key=lambda p: p[0])
        self._times = [int(t) for t, _ in pairs]
        self._values = [float(v) for _, v in pairs]
        self._finite = [v for v in self._values if not math.isnan(v)]

    @classmethod
    def of(cls, times: Sequence[int], values: Sequence[float]) -> PointsWindow:
        return cls(zip(times, values, strict=True))

    def times(self) -> Sequence[int]:
        return self._times

    def values(self) -> Sequence[float]:
        return self._values

    def count(self) -> int:
        return len(self._finite)

    def count_nan(self) -> int:
        return len(self._values) - len(self._finite)

    def sum(self) -> float:
        return math.fsum(self._finite) if self._finite else math.nan

    def avg(self) -> float:
        return self.sum() / len(self._finite) if self._finite else math.nan

    def min(self) -> float:
        return min(self._finite) if self._finite else math.nan

    def max(self) -> float:
        return max(self._finite) if self._finite else math.nan

    def first(self) -> float:
        return self._finite[0] if self._finite else math.nan

    def last(self) -> float:
        return self._finite[-1] if self._finite else math.nan

    def percentile(self, p: float) -> float:
        return percentile_r6(sorted(self._finite), p)
