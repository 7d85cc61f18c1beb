"""What compiled expressions read at run time.

The engine's window scope and the placeholder renderer implement ``EvalContext``;
windows implement ``SampleWindow``. Both are protocols so the expression package
depends on nothing else in the project.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol


class SampleWindow(Protocol):
    """Samples of one window in time order (spec §4.5), NaN samples included.

    The aggregate methods cover the non-NaN values and are kept incrementally by
    the engine's windows; functions with a selection argument (last n samples, an
    interval) or without an incremental form read ``times()``/``values()``.
    """

    def times(self) -> Sequence[int]: ...  # Unix ms, oldest first

    def values(self) -> Sequence[float]: ...  # same order as times(), NaN included

    def count(self) -> int: ...

    def count_nan(self) -> int: ...

    def sum(self) -> float: ...

    def avg(self) -> float: ...

    def min(self) -> float: ...

    def max(self) -> float: ...

    def first(self) -> float: ...  # oldest non-NaN value, NaN when none

    def last(self) -> float: ...  # newest non-NaN value, NaN when none

    def percentile(self, p: float) -> float: ...  # NIST R6 over non-NaN values


class EvalContext(Protocol):
    """The names and services an expression sees (spec §4.4)."""

    now_ms: int  # Unix ms of "now" for this evaluation (explicit clock in tests)
    zone: str  # server time zone, e.g. "UTC"
    window: SampleWindow | None  # None in filters: statistical functions return 0

    def lookup(self, name: str) -> Any:
        """Value of a top-level name (entity, tags, value, variables...); None if unknown."""
        ...

    def line_value(self, metric: str) -> float | None:
        """value('metric'): another m: value of the same series line, None if absent."""
        ...

    def rule_open(self, rule: str, entity: str | None, expression: str | None) -> bool:
        """rule_open(): whether another window of ``rule`` is OPEN/REPEAT (spec §4.6)."""
        ...


class ContentServices(Protocol):
    """What the placeholder renderer offers to content functions (spec §4.6, §5.5, §6).

    Returned by ``EvalContext.lookup("content_services")``; when absent, the
    content functions raise ``EvaluationError`` (they only make sense in
    notification texts). Added by the expression package; implemented by the
    notification renderer.
    """

    link_format: str  # "html", "markdown", "pipe" or "none" (bare URL) for this endpoint

    def details_table(self, format: str, sections: Sequence[str]) -> str:
        """detailsTable(format[, section...]) of the current window."""
        ...

    def link(self, kind: str, format: str | None) -> str:
        """getEntityLink/getRuleLink/getChartLink/getCsvExportLink/getHtmlExportLink; kind
        is 'entity', 'rule', 'chart', 'csvExport' or 'htmlExport'; format None = endpoint's."""
        ...

    def add_portal(
        self, portal: str, entity: str | None, caption: str | None, params: Mapping[str, str]
    ) -> str:
        """addPortal(): attach a screenshot of ``portal`` (name or id) for ``entity``
        (None: the trigger's) to this notification; the text to insert in its place."""
        ...


class StoreReads(Protocol):
    """The stored data functions such as ``db_last`` and ``last_open`` read (spec §4.6).

    Returned by ``EvalContext.lookup("store_reads")``; when absent the functions
    raise ``EvaluationError``. Implemented by the partition (rules.partition) and
    the notify worker over the series history and the alert history; answers are
    cached and bounded, and a store that cannot answer raises ``EvaluationError``.
    """

    reach_ms: int  # how far back the series history goes (SERIES_HISTORY_HOURS)

    def series_stored(
        self,
        metric: str,
        entity: str,
        tags: Mapping[str, str],
        start_ms: int,
        end_ms: int,
    ) -> tuple[Sequence[tuple[int, int, float, float, float, float]], Sequence[tuple[int, float]]]:
        """What the history holds in ``[start_ms, end_ms]`` of the one series of
        ``metric`` and ``entity`` whose tag names are exactly ``tags``' and whose values
        equal them (``*`` matches any value): the minutes it keeps only as aggregates,
        ``(minute start ms, count, sum, min, max, last)``, and the samples it keeps,
        ``(time ms, value)``, each oldest first. Empty when no series matches;
        ``EvaluationError`` when several do."""
        ...

    def last_open(
        self, rule: str, metric: str, entity: str, tags: Mapping[str, str]
    ) -> Mapping[str, Any] | None:
        """The newest OPEN/REPEAT alert-history record of this window, None when none:
        ``time`` (ms), ``value``, ``severity``, ``status``, ``repeat_count``, ``message``."""
        ...

    def lock(self, key: str, ttl_ms: int) -> bool:
        """Take the named lock ``key`` for ``ttl_ms`` (shared by every rule and process):
        True when taken by this call, False while someone holds it."""
        ...

    def unlock(self, key: str) -> bool:
        """Release the named lock ``key``; True when it was held."""
        ...


class WebQueries(Protocol):
    """HTTP requests of ``queryConfig``, ``queryGet`` and ``queryPost`` (spec §4.6 MAY).

    Returned by ``EvalContext.lookup("web_queries")``, only in notification texts and
    only when the server enables them (they reach the network); when absent the
    functions raise ``EvaluationError``. Each answer is a map-like object: ``content``
    (text), ``status``, ``headers``, ``duration`` (ms); no answer (timeout, refused)
    raises ``EvaluationError``.
    """

    def config(self, endpoint: str, params: Mapping[str, str]) -> Any:
        """The request an endpoint describes (URL, method, headers, body), ``${name}``
        replaced by ``params``."""
        ...

    def get(self, url: str, headers: Mapping[str, str]) -> Any: ...

    def post(self, url: str, body: str, headers: Mapping[str, str]) -> Any: ...
