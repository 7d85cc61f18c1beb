"""The names a condition, filter or variable sees for one window (spec §4.4, §5.2).

``WindowScope`` implements ``rules.expressions.context.EvalContext``. One scope object
per rule is re-bound to (window, event, now) before each evaluation instead of being
allocated per sample; every field is computed lazily on lookup, and user variables are
computed on first use (in declared order when the engine asks for all of them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rules.engine.definition import Evaluable, RuleDefinition
from rules.engine.state import WINDOW_DATE_FIELDS
from rules.engine.window_runtime import WindowRuntime
from rules.events import MESSAGE, PROPERTY, SEVERITY_NAMES, Event
from rules.expressions.datetime_value import DateTime
from rules.expressions.stores import NO_STORES, DataStores
from rules.expressions.values import EntityValue, MetricValue

EntityLookup = Callable[[str], EntityValue]
MetricLookup = Callable[[str], MetricValue]
RuleOpen = Callable[[str, str | None, str | None, Any], bool]
RuleWindows = Callable[[str, str | None, str | None, Any], list[Any]]


def default_entity(name: str) -> EntityValue:
    return EntityValue(name)


def default_metric(name: str) -> MetricValue:
    return MetricValue(name)


def event_tags(event: Event) -> dict[str, str]:
    """The ``tags`` of an event as rules see them: property rules see keys + ``type``
    (spec §4.4); series and message events their command tags."""
    if event.kind == PROPERTY:
        tags = dict(event.keys)
        if event.type is not None:
            tags["type"] = event.type
        return tags
    return event.tags


def _dt(ms: int | None, zone: str) -> DateTime | None:
    return None if ms is None else DateTime(ms, zone)


class _VariableCycleError(Exception):
    pass


class BaseScope:
    """Fields of the triggering command: shared by filter and window scopes."""

    __slots__ = ("entity_lookup", "event", "metric_lookup", "now_ms", "stores", "zone")

    window: Any = None

    def __init__(
        self,
        zone: str = "UTC",
        entity_lookup: EntityLookup = default_entity,
        metric_lookup: MetricLookup = default_metric,
    ) -> None:
        self.zone = zone
        self.entity_lookup = entity_lookup
        self.metric_lookup = metric_lookup
        self.event: Event | None = None
        self.now_ms = 0
        # Properties, messages, tables (rules.expressions.stores); set by the rule runtime.
        self.stores: DataStores = NO_STORES

    def _event_field(self, name: str) -> Any:
        ev = self.event
        if ev is None:
            return None
        if name == "entity":
            return self.entity_lookup(ev.entity)
        if name == "metric":
            return self.metric_lookup(ev.metric)
        if name == "tags":
            return event_tags(ev)
        if name == "value":
            return ev.value
        if ev.kind == MESSAGE:
            if name == "message":
                return ev.text
            if name == "type":
                return ev.type
            if name == "source":
                return ev.source
            if name == "severity":
                sev = ev.severity
                return SEVERITY_NAMES[sev] if sev is not None else None
        elif ev.kind == PROPERTY:
            if name == "type":
                return ev.type
            if name == "keys":
                return ev.keys
            if name == "properties":
                return ev.tags
        if name == "text":
            return ev.text
        if name == "now":
            return DateTime(self.now_ms, self.zone)
        if name in ("today", "yesterday", "tomorrow"):
            day = DateTime(self.now_ms, self.zone).start_of_day()
            if name == "today":
                return day
            return day.add(-1 if name == "yesterday" else 1, "day")
        return None

    def lookup(self, name: str) -> Any:
        """Value of a command field; None (null) for names this scope does not know."""
        return self._event_field(name)

    def line_value(self, metric: str) -> float | None:
        """value('metric'): another m: value of the same series line, None when absent."""
        ev = self.event
        if ev is None:
            return None
        return ev.line_values.get(metric.lower())

    def rule_open(self, rule: str, entity: str | None, expression: str | None) -> bool:
        return False


class FilterScope(BaseScope):
    """The scope of a rule filter: command fields only, no window (§3.1 step 7)."""

    __slots__ = ()

    def bind(self, event: Event, now_ms: int) -> FilterScope:
        self.event = event
        self.now_ms = now_ms
        return self


_WINDOW_DATE_FIELDS = frozenset(WINDOW_DATE_FIELDS)


class WindowScope(BaseScope):
    """The scope of a condition and of user variables for one window evaluation."""

    __slots__ = (
        "_computing",
        "_rule_open",
        "_rule_windows",
        "_vars",
        "rule",
        "store_reads",
        "variable_exprs",
        "window",
        "window_text",
        "wr",
    )

    def __init__(
        self,
        rule: RuleDefinition,
        window_text: str,
        variable_exprs: dict[str, Evaluable],
        zone: str = "UTC",
        entity_lookup: EntityLookup = default_entity,
        metric_lookup: MetricLookup = default_metric,
        rule_open: RuleOpen | None = None,
        store_reads: Any = None,
        rule_windows: RuleWindows | None = None,
    ) -> None:
        super().__init__(zone, entity_lookup, metric_lookup)
        self.store_reads = store_reads
        self._rule_windows = rule_windows
        self.rule = rule
        self.window_text = window_text
        self.variable_exprs = variable_exprs
        self.wr: WindowRuntime | None = None
        self.window: Any = None
        self._vars: dict[str, Any] = {}
        self._computing: set[str] = set()
        self._rule_open = rule_open

    def bind(self, wr: WindowRuntime, now_ms: int) -> WindowScope:
        """Point the scope at a window after its state was updated for this evaluation."""
        self.wr = wr
        self.window = wr.window
        self.event = wr.state.event
        self.now_ms = now_ms
        if self._vars:
            self._vars = {}
        return self

    # -- variables ------------------------------------------------------------------

    def variable(self, name: str) -> Any:
        """Value of a user variable, computed once per evaluation.

        A variable that refers to itself (directly or through others) is an error.
        """
        vars_ = self._vars
        if name in vars_:
            return vars_[name]
        if name in self._computing:
            raise _VariableCycleError(f"variable {name!r} refers to itself")
        expr = self.variable_exprs[name]
        self._computing.add(name)
        try:
            value = expr.evaluate(self)
        finally:
            self._computing.discard(name)
        vars_[name] = value
        return value

    def all_variables(self) -> dict[str, Any]:
        """Every user variable in declared order (placeholders need them at OPEN/REPEAT)."""
        return {name: self.variable(name) for name in self.variable_exprs}

    # -- EvalContext ------------------------------------------------------------------

    def lookup(self, name: str) -> Any:
        """Variables shadow fields, as in ATSD where a variable named like a field wins."""
        if name in self.variable_exprs:
            return self.variable(name)
        value = self._event_field(name)
        if value is not None:
            return value
        wr = self.wr
        if wr is None:
            return None
        st = wr.state
        rule = self.rule
        if name in _WINDOW_DATE_FIELDS:
            return _dt(getattr(st, name), self.zone)
        if name in ("rule", "rule_name"):
            return rule.name
        if name == "rule_filter":
            return rule.filter
        if name in ("condition", "expression", "rule_expression"):
            return rule.expression
        if name == "window":
            return self.window_text
        if name == "before_status":
            return st.status  # the status before this evaluation: it is applied afterwards
        if name == "window_entity":
            return wr.key[2]
        if name == "window_tags":
            return dict(wr.key[3])
        if name == "open_value":
            return st.open_value
        if name == "is_exiting":
            return st.is_exiting
        if name == "command_time":
            return _dt(st.command_time, self.zone)
        if name == "timestamp":
            return st.command_time
        w = wr.window
        if name == "command_first_time":
            return _dt(w.first_time(), self.zone)
        if name == "command_last_time":
            return _dt(w.last_time(), self.zone)
        if name == "window_duration":
            first, last = w.first_time(), w.last_time()
            return 0 if first is None or last is None else last - first
        if name == "columns":
            return self.all_variables()
        if name == "store_reads":
            return self.store_reads
        return None

    def rule_open(self, rule: str, entity: str | None, expression: str | None) -> bool:
        """Whether another window of ``rule`` is OPEN/REPEAT (never this one), via the
        engine's callback; False when the scope runs outside an engine."""
        if self._rule_open is None:
            return False
        return self._rule_open(rule, entity, expression, self.wr)

    def rule_windows(self, rule: str, entity: str | None, expression: str | None) -> list[Any]:
        """rule_window()/rule_windows(): the other matching windows of ``rule`` as
        objects, via the engine's callback; none when the scope runs outside an engine."""
        if self._rule_windows is None:
            return []
        return self._rule_windows(rule, entity, expression, self.wr)


class ProbeScope:
    """What a rule_open() expression sees about another window: tags, message, status."""

    __slots__ = ("now_ms", "window", "wr", "zone")

    def __init__(self, wr: WindowRuntime, zone: str) -> None:
        self.wr = wr
        self.zone = zone
        self.window = None
        self.now_ms = wr.state.update_time or 0

    def lookup(self, name: str) -> Any:
        st = self.wr.state
        ev = st.event
        if name == "tags":
            return dict(self.wr.key[3]) or (event_tags(ev) if ev else {})
        if name == "message":
            return ev.text if ev else None
        if name == "status":
            return st.status
        if name == "entity":
            return ev.entity if ev else None
        return None

    def line_value(self, metric: str) -> float | None:
        return None

    def rule_open(self, rule: str, entity: str | None, expression: str | None) -> bool:
        return False
