"""The per-rule filter chain of spec §3.1, in the spec's order.

``RuleFilter.check`` runs the steps that come before grouping (data type and metric,
message type/source or property type, entityFilter, filter expression, time offset) and
returns None when the event passes or the name of the step that dropped it. Group
membership is asked of the engine's group store each time (groups change while rules
run; the store caches). The
out-of-order step needs the window and lives in the engine (``STEP_OUT_OF_ORDER``).
Decisions that depend only on (rule, entity) are cached so the hot path pays a dict
lookup, not a pattern match.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from rules.engine.active_hours import ActiveHours
from rules.events import MESSAGE, PROPERTY, SERIES, Event
from rules.wildcards import Matcher, any_matcher

STEP_DATA_TYPE = "data_type"
STEP_METRIC = "metric"
STEP_TYPE = "type"
STEP_SOURCE = "source"
STEP_ENTITY = "entity_filter"
STEP_GROUP = "group_filter"
STEP_DATE = "date_filter"  # outside the rule's active hours (dateFilter)
STEP_FILTER = "filter"
STEP_FILTER_ERROR = "filter_error"
STEP_TIME_OFFSET = "time_offset"
STEP_OUT_OF_ORDER = "out_of_order"
STEP_EXPIRED = "expired"  # older than now - D for a time window (§3.3)
STEP_WINDOW_LIMIT = "window_limit"  # would open a window past the rule's windows limit
ACCEPTED = "accepted"

_ENTITY_CACHE_LIMIT = 100_000


def data_type_of(rule_metric: str) -> tuple[str, str]:
    """(event kind, metric) selected by a rule's ``metric`` element (§3.1 step 3)."""
    m = rule_metric.strip().lower()
    if m == MESSAGE:
        return MESSAGE, MESSAGE
    if m == PROPERTY:
        return PROPERTY, PROPERTY
    return SERIES, m


def compile_patterns(text_or_patterns: str | Iterable[str]) -> Matcher | None:
    """A matcher for space-separated entity patterns (``*`` any run, ``?`` one char),
    true when any matches; None when there are none (no filter). Case-insensitive;
    ``rules.wildcards.PatternTooLong`` for a pattern over the length limit."""
    if isinstance(text_or_patterns, str):
        patterns = text_or_patterns.split()
    else:
        patterns = [p.strip() for p in text_or_patterns if p and p.strip()]
    return any_matcher(patterns, ignore_case=True)


class FilterLog:
    """A bounded log of (event time, entity, metric, step) per rule, newest last."""

    __slots__ = ("entries",)

    def __init__(self, size: int = 100) -> None:
        # (time, entity, metric, step) tuples; an accepted event is logged as the Event
        # itself (events are not mutated after ingest): no tuple per accepted sample.
        self.entries: deque[tuple[int, str, str, str] | Event] = deque(maxlen=size)

    def add(self, event: Event, step: str) -> None:
        if step == ACCEPTED:
            self.entries.append(event)
        else:
            self.entries.append((event.time_ms, event.entity, event.metric, step))

    def to_list(self) -> list[dict[str, Any]]:
        out = []
        for entry in self.entries:
            if isinstance(entry, tuple):
                t, e, m, s = entry
            else:
                t, e, m, s = entry.time_ms, entry.entity, entry.metric, ACCEPTED
            out.append({"time": t, "entity": e, "metric": m, "step": s})
        return out


@dataclass(slots=True)
class FilterError:
    """Why a filter expression could not decide (becomes a Rule Error)."""

    message: str


class RuleFilter:
    """The pre-grouping filter steps of one rule.

    ``filter_expr`` is a compiled expression (``.evaluate(ctx) -> Any``); ``filter_ctx``
    builds the filter scope for an event (``window`` None, no variables).
    """

    __slots__ = (
        "_entity_cache",
        "_entity_match",
        "active_hours",
        "filter_ctx",
        "filter_expr",
        "grace_ms",
        "group",
        "group_member",
        "kind",
        "last_error",
        "metric",
        "source",
        "type",
        "zone",
    )

    def __init__(
        self,
        rule_metric: str,
        *,
        type_: str | None = None,
        source: str | None = None,
        entity_filter: str | Iterable[str] = "",
        filter_expr: Any = None,
        filter_ctx: Callable[[Event, int], Any] | None = None,
        grace_ms: int = 0,
        group_filter: str = "",
        group_member: Callable[[str, str], bool] | None = None,
        active_hours: ActiveHours | None = None,
        zone: str = "UTC",
    ) -> None:
        self.kind, self.metric = data_type_of(rule_metric)
        self.type = type_.strip().lower() if type_ and type_.strip() else None
        self.source = source.strip().lower() if source and source.strip() else None
        self._entity_match = compile_patterns(entity_filter)
        self._entity_cache: dict[str, bool] = {}
        self.filter_expr = filter_expr
        self.filter_ctx = filter_ctx
        self.grace_ms = grace_ms
        self.group = group_filter.strip() or None
        self.group_member = group_member
        self.active_hours = active_hours
        self.zone = zone
        self.last_error: FilterError | None = None

    def entity_ok(self, entity: str) -> bool:
        """entityFilter decision, cached per entity."""
        matches = self._entity_match
        if matches is None:
            return True
        cache = self._entity_cache
        ok = cache.get(entity)
        if ok is None:
            if len(cache) >= _ENTITY_CACHE_LIMIT:
                cache.clear()  # bounded memory for high-cardinality entity streams
            ok = cache[entity] = matches(entity)
        return ok

    def check(self, event: Event, now_ms: int) -> str | None:
        """None if the event passes steps 3-8 of §3.1, else the step that dropped it.

        On ``STEP_FILTER_ERROR`` the reason is in ``last_error``.
        """
        if event.kind != self.kind:
            return STEP_DATA_TYPE
        if self.kind == SERIES and event.metric.lower() != self.metric:
            return STEP_METRIC
        return self.check_after_metric(event, now_ms)

    def check_after_metric(self, event: Event, now_ms: int) -> str | None:
        """``check`` without steps 3 (the engine's rule index already selected the rule)."""
        hours = self.active_hours
        if hours is not None and not hours.active(now_ms, self.zone):
            return STEP_DATE
        if self.type is not None and (event.type or "").lower() != self.type:
            return STEP_TYPE
        if self.source is not None and (event.source or "").lower() != self.source:
            return STEP_SOURCE
        if self._entity_match is not None and not self.entity_ok(event.entity):
            return STEP_ENTITY
        group = self.group
        if group is not None and (
            self.group_member is None or not self.group_member(group, event.entity)
        ):
            return STEP_GROUP
        if self.filter_expr is not None:
            ctx = self.filter_ctx(event, now_ms) if self.filter_ctx is not None else None
            try:
                result = self.filter_expr.evaluate(ctx)
            except Exception as exc:  # any failure of user code drops the event (§3.1 step 7)
                self.last_error = FilterError(f"{type(exc).__name__}: {exc}")
                return STEP_FILTER_ERROR
            if result is not True:
                if result is not False:
                    self.last_error = FilterError(
                        f"filter returned {type(result).__name__} {result!r}, not a boolean"
                    )
                    return STEP_FILTER_ERROR
                return STEP_FILTER
        grace = self.grace_ms
        if grace and abs(event.time_ms - now_ms) > grace:
            return STEP_TIME_OFFSET
        return None
