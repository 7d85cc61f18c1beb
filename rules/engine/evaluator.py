"""The rule engine core: rules, their windows, evaluation and trigger events (spec §3).

Pure Python with an explicit clock: no Django, no ORM, no network. The running engine
(a Celery worker owning one partition) drives it:

* ``Engine.install(rule)`` / ``Engine.drop_rule(name)`` when rules change (§3.9);
* ``Engine.process_batch(events, now_ms)`` per batch (one clock reading), in arrival
  order; the partition worker, which knows each event's rules from routing, hands runs
  of events to ``RuleRuntime.process_run`` itself (``Engine.process``: one event);
* ``Engine.tick(now_ms)`` about once a second for Check On Exit expiry;
* ``Engine.delayed_open(...)`` when a Delay-on-OPEN countdown expires (§3.8);
* ``Engine.snapshot()`` / ``Engine.restore(data)`` to checkpoint window state;
* ``Engine.drain_errors()`` for the Rule Errors page.

Each returns ``TriggerSnapshot`` objects (OPEN/REPEAT/CANCEL, rules.contract.triggers) to
hand to the alert store and notifications.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from rules.contract.triggers import (
    REASON_DELAYED_OPEN,
    REASON_EVALUATION,
    REASON_EXIT,
    REASON_RULE_DROPPED,
    ActionOutcome,
    TriggerSnapshot,
)
from rules.engine import actions as act
from rules.engine.filters import (
    STEP_EXPIRED,
    STEP_FILTER_ERROR,
    STEP_OUT_OF_ORDER,
    STEP_WINDOW_LIMIT,
    FilterLog,
    RuleFilter,
    compile_patterns,
    data_type_of,
)
from rules.engine.grouping import (
    DEFINED_TAGS,
    NO_TAGS,
    Grouping,
    WindowKey,
    display_key,
    key_from_json,
    key_to_json,
)
from rules.engine.scope import (
    EntityLookup,
    FilterScope,
    MetricLookup,
    WindowScope,
    default_entity,
    default_metric,
    event_tags,
)
from rules.engine.state import WindowState
from rules.engine.statistics import plan_evaluator
from rules.engine.status import CANCEL, OPEN, is_active
from rules.engine.windows import (
    NO_LIMITS,
    CountWindow,
    TimeWindow,
    WindowLimits,
    WindowSpec,
    parse_window_spec,
)
from rules.events import MESSAGE, PROPERTY, SEVERITY_NAMES, Event

# Kinds passed to the compiler, one per place an expression appears.
KIND_CONDITION = "condition"
KIND_FILTER = "filter"
KIND_VARIABLE = "variable"


class Evaluable(Protocol):
    def evaluate(self, ctx: Any) -> Any: ...


Compiler = Callable[[str, str], Evaluable]


def default_compiler(text: str, kind: str) -> Evaluable:
    """The project's expression compiler (imported lazily: the package is optional here)."""
    from rules.expressions.compiler import compile_expression

    return compile_expression(text, kind)


# -- rule definition ------------------------------------------------------------------


@dataclass(frozen=True)
class RuleDefinition:
    """Everything the engine needs from a rule (built from the model or ``rules.xml``).

    ``window`` is the window text (``length(3)``, ``time(15 minute)``); ``variables``
    are (name, expression) in declared order; ``time_filter_ms`` 0 = no time offset
    filter; ``discard_previous_values`` = out-of-order filter; ``check_on_exit`` =
    ``leavingEvents``.
    """

    name: str
    metric: str
    expression: str
    window: str
    type: str | None = None
    source: str | None = None
    entity_filter: str = ""
    filter: str = ""
    grouping: Grouping = field(default_factory=Grouping)
    variables: tuple[tuple[str, str], ...] = ()
    severity: str = "WARNING"
    time_filter_ms: int = 0
    discard_previous_values: bool = False
    check_on_exit: bool = False
    actions: tuple[act.ActionSettings, ...] = ()
    enabled: bool = True

    def fingerprint(self) -> str:
        """Hash of what decides window contents and status (all but actions/enabled):
        a change drops the rule's windows (§3.9); an actions-only change keeps them."""
        data = asdict(self)
        data.pop("actions")
        data.pop("enabled")
        raw = json.dumps(data, sort_keys=True, default=str)
        return hashlib.sha256(raw.encode()).hexdigest()[:16]


# -- records out ------------------------------------------------------------------------


@dataclass(slots=True)
class RuleError:
    """A failed evaluation (Rule Errors page): status unchanged, no trigger."""

    time_ms: int
    rule: str
    error: str
    expression: str
    command: list | None = None  # the triggering event in wire form
    window_key: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "time_ms": self.time_ms,
            "rule": self.rule,
            "error": self.error,
            "expression": self.expression,
            "command": self.command,
            "window_key": self.window_key,
        }


# -- runtime ----------------------------------------------------------------------------


class WindowRuntime:
    """One window of one rule: its key, samples and state."""

    __slots__ = ("_display", "_key_json", "key", "state", "window")

    def __init__(self, key: WindowKey, window: CountWindow | TimeWindow) -> None:
        self.key = key
        self.window = window
        self.state = WindowState()
        # Computed on first use and kept: every trigger and rule error of the window
        # carries them, but most windows never trigger (creation is on the hot path).
        self._display: str | None = None
        self._key_json: list | None = None

    @property
    def display(self) -> str:
        """``display_key`` of the window's key."""
        text = self._display
        if text is None:
            text = self._display = display_key(self.key)
        return text

    @property
    def key_json(self) -> list:
        """``key_to_json`` of the window's key."""
        data = self._key_json
        if data is None:
            data = self._key_json = key_to_json(self.key)
        return data


def _none_if_nan(x: float) -> float | None:
    return None if not math.isfinite(x) else x


def _same_error(exc: Exception) -> Exception:
    return exc


def _local_key(entity: str | None, items: tuple) -> Any:
    """The key of a window inside its rule. Data type and metric are the same for every
    window of a rule, so windows are found by entity (and tags, when there are any)
    without building the full key tuple for every sample."""
    return (entity, items) if items else entity


class RuleRuntime:
    """A compiled rule and its windows."""

    def __init__(self, rule: RuleDefinition, engine: Engine) -> None:
        self.rule = rule
        self.engine = engine
        self.fingerprint = rule.fingerprint()
        self.spec: WindowSpec = parse_window_spec(rule.window, engine.window_limits)
        self.kind, self.metric = data_type_of(rule.metric)
        compile_ = engine.compiler
        self.condition = compile_(rule.expression, KIND_CONDITION)
        self.variable_exprs: dict[str, Evaluable] = {
            name: compile_(text, KIND_VARIABLE) for name, text in rule.variables
        }
        filter_expr = compile_(rule.filter, KIND_FILTER) if rule.filter.strip() else None
        self.filter_scope = FilterScope(engine.zone, engine.entity_lookup, engine.metric_lookup)
        self.filter = RuleFilter(
            rule.metric,
            type_=rule.type if self.kind != "series" else None,
            source=rule.source if self.kind == MESSAGE else None,
            entity_filter=rule.entity_filter,
            filter_expr=filter_expr,
            filter_ctx=self.filter_scope.bind,
            grace_ms=rule.time_filter_ms,
        )
        # Precomputed: a rule with no filter steps beyond its (kind, metric) index entry
        # skips the filter chain entirely on the hot path.
        self.trivial_filter = (
            self.filter.type is None
            and self.filter.source is None
            and compile_patterns(rule.entity_filter) is None
            and filter_expr is None
            and not rule.time_filter_ms
        )
        self.grouping = rule.grouping
        self.is_time = self.spec.kind == "time"
        self.duration_ms = self.spec.size if self.is_time else 0
        self.exit_checks = self.is_time and rule.check_on_exit
        # Keyed by _local_key (entity, or entity and tags), not the full WindowKey.
        self.windows: dict[Any, WindowRuntime] = {}
        # Set when a new window was first refused for the windows limit: one Rule Error
        # while the rule keeps its windows, not one per dropped sample.
        self.window_limit_reported = False
        self.scope = WindowScope(
            self, engine.zone, engine.entity_lookup, engine.metric_lookup, engine._rule_open
        )
        self.filter_log = FilterLog(engine.filter_log_size) if engine.filter_log_size else None
        self.log_append = self.filter_log.entries.append if self.filter_log is not None else None
        self.discard_previous = rule.discard_previous_values
        g = rule.grouping
        self.no_tags = g.strategy == NO_TAGS or (g.strategy == DEFINED_TAGS and not g.tags)
        self.entity_grouping = not g.disable_entity_grouping
        # The shape _process_simple handles; ``process`` is bound to it per instance.
        self.simple = (
            self.trivial_filter
            and self.no_tags
            and self.entity_grouping
            and not self.discard_previous
            and not self.exit_checks
        )
        self.process = (  # type: ignore[method-assign]
            self._process_simple if self.simple else self._process_general
        )
        self.process_run = (  # type: ignore[method-assign]
            self._run_simple if self.simple else self._run_general
        )
        # Windows keep min/max structures only for rules that can ask for them; without
        # the compiler's functions_used (another compiler), assume they can.
        used: set[str] | None = set()
        for expr in (self.condition, *self.variable_exprs.values()):
            names = getattr(expr, "functions_used", None)
            if names is None:
                used = None
                break
            used.update(names)  # type: ignore[union-attr]
        self.track_min = used is None or "min" in used
        self.track_max = used is None or "max" in used
        # The compiled closure itself when the compiler offers it (one call less per
        # sample); its exceptions then go through error_for, as evaluate() would raise.
        self.condition_eval: Callable[[Any], Any] = getattr(
            self.condition, "closure", self.condition.evaluate
        )
        self.condition_error: Callable[[Exception], Exception] = getattr(
            self.condition, "error_for", _same_error
        )
        # A condition made of aggregate comparisons only (``avg() > 10 || max() > 85``)
        # runs straight on the window; the scope is bound only when the status moves.
        plan = getattr(self.condition, "window_plan", None)
        self.window_check: Callable[[Any], bool] | None = (
            plan_evaluator(plan) if plan is not None else None
        )

    def severity_for(self, event: Event | None) -> str:
        """Rule severity; message rules with UNKNOWN/UNDEFINED take the message's (§3.10)."""
        sev = self.rule.severity.upper()
        sev = {"INFO": "NORMAL", "WARN": "WARNING", "ERROR": "CRITICAL"}.get(sev, sev)
        if (
            sev in ("UNKNOWN", "UNDEFINED")
            and event is not None
            and event.kind == MESSAGE
            and event.severity is not None
        ):
            return SEVERITY_NAMES[event.severity]
        return sev

    def new_window(self, key: WindowKey) -> WindowRuntime:
        wr = WindowRuntime(
            key, self.spec.new_window(track_min=self.track_min, track_max=self.track_max)
        )
        self.windows[_local_key(key[2], key[3])] = wr
        return wr

    def open_window(self, key: WindowKey, event: Event, now_ms: int) -> WindowRuntime | None:
        """A new window for ``event``, or None when the rule already holds the engine's
        ``max_windows``: the event is dropped (filter log step ``window_limit``) and the
        first refusal is a Rule Error."""
        cap = self.engine.max_windows
        if cap is None or len(self.windows) < cap:
            return self.new_window(key)
        if self.log_append is not None:
            self.log_append((event.time_ms, event.entity, event.metric, STEP_WINDOW_LIMIT))
        if not self.window_limit_reported:
            self.window_limit_reported = True
            self.engine._error(
                now_ms, self.rule.name,
                f"the rule holds {cap:,} windows, the limit (RULE_MAX_WINDOWS): samples "
                "that would open a new window are dropped",
                self.rule.window, event, display_key(key),
            )  # fmt: skip
        return None

    def find_window(self, key: WindowKey) -> WindowRuntime | None:
        """The window with this full key, if any."""
        return self.windows.get(_local_key(key[2], key[3]))

    def process(self, event: Event, now_ms: int, out: list[TriggerSnapshot]) -> None:
        """Apply one event to this rule (already matched by kind and metric), appending
        triggers to ``out``. Each instance binds ``process`` straight to
        ``_process_simple`` or ``_process_general`` (one call less per sample); this
        definition documents the contract."""
        self._process_general(event, now_ms, out)

    def _process_simple(self, event: Event, now_ms: int, out: list[TriggerSnapshot]) -> None:
        """``_process_general`` for the most common rule shape: see ``_run_simple``."""
        self._run_simple((event,), now_ms, out)

    def process_run(self, events: Sequence[Event], now_ms: int, out: list[TriggerSnapshot]) -> None:
        """``process`` for consecutive events of this rule (one clock reading), in order.
        Bound per instance to ``_run_simple`` or ``_run_general``, as ``process`` is."""
        self._run_general(events, now_ms, out)

    def _run_general(
        self, events: Sequence[Event], now_ms: int, out: list[TriggerSnapshot]
    ) -> None:
        general = self._process_general
        for event in events:
            general(event, now_ms, out)

    def _run_simple(self, events: Sequence[Event], now_ms: int, out: list[TriggerSnapshot]) -> None:
        """``_process_general`` for the most common rule shape (no filter beyond the
        metric, windows by entity alone, no out-of-order filter, no Check On Exit): the
        same steps with the checks that cannot apply left out, over a run of events so
        that what stays the same for all of them is read once. Keep the two in step; the
        engine tests run every scenario through both."""
        windows = self.windows
        is_time = self.is_time
        cutoff = now_ms - self.duration_ms
        check = self.window_check
        log = self.log_append
        for event in events:
            t = event.time_ms
            wr = windows.get(event.entity)
            if wr is None:
                self._process_general(event, now_ms, out)  # creates the window
                continue
            w = wr.window
            v = event.value
            if is_time:
                ts = w._t
                if (
                    ts
                    and t >= ts[-1]
                    and ts[0] >= cutoff
                    and v == v
                    and w._nn is None
                    and w._sorted is None
                ):
                    # TimeWindow.add for its most common case, inlined: an in-order,
                    # non-NaN value into a window with nothing to prune and no NaN or
                    # sorted storage. Keep in step with TimeWindow.add; the fast-path
                    # tests compare the two on random streams.
                    removed = 0
                    w.max_time = t
                    ts.append(t)
                    w._all.append(v)
                    ws = w._sum
                    x = ws + v
                    b = x - ws
                    w._comp += (ws - (x - b)) + (v - b)
                    w._sum = x
                    q = w._maxq
                    if q is not None:
                        m = len(q)
                        if m > w._maxh and q[m - 1] < v:
                            h = w._maxh
                            m -= 1
                            while m > h and q[m - 1] < v:
                                m -= 1
                            del q[m:]
                        q.append(v)
                    q = w._minq
                    if q is not None:
                        m = len(q)
                        if m > w._minh and q[m - 1] > v:
                            h = w._minh
                            m -= 1
                            while m > h and q[m - 1] > v:
                                m -= 1
                            del q[m:]
                        q.append(v)
                else:
                    removed = w.add(t, v, now_ms)  # type: ignore[call-arg]
                    if removed < 0:  # older than the window: nothing changed
                        self._process_general(event, now_ms, out)  # logs the expired event
                        continue
            else:
                removed = w.add(t, v)  # type: ignore[call-arg]
            st = wr.state
            if removed:
                st.remove_time = now_ms
            st.event = event
            st.command_time = t
            st.is_exiting = False
            st.previous_add_time = st.add_time
            st.add_time = now_ms
            st.update_time = now_ms
            if log is not None:
                log(event)
            if check is not None:
                result = check(w)  # aggregates of our windows: cannot raise
                if result is False and st.status == CANCEL:
                    continue
                self._decide(
                    wr, self.scope.bind(wr, now_ms), result, now_ms, out, REASON_EVALUATION
                )
                continue
            scope = self.scope
            scope.wr = wr
            scope.window = w
            scope.event = event
            scope.now_ms = now_ms
            if scope._vars:
                scope._vars = {}
            try:
                result = self.condition_eval(scope)
            except Exception as exc:  # user expressions fail in many ways; a Rule Error
                self._condition_failed(wr, now_ms, exc)
                continue
            if result is False and st.status == CANCEL:
                continue
            self._decide(wr, scope, result, now_ms, out, REASON_EVALUATION)

    # The hot path: one event for this rule (already matched by kind and metric). Written
    # with locals and inlined steps on purpose: it runs once per sample and rule.
    def _process_general(self, event: Event, now_ms: int, out: list[TriggerSnapshot]) -> None:
        log = self.log_append
        if not self.trivial_filter:
            step = self.filter.check_after_metric(event, now_ms)
            if step is not None:
                if log is not None:
                    log((event.time_ms, event.entity, event.metric, step))
                if step == STEP_FILTER_ERROR:
                    err = self.filter.last_error
                    self.engine._error(
                        now_ms, self.rule.name, err.message if err else step, self.rule.filter,
                        event, None,
                    )  # fmt: skip
                return
        t = event.time_ms
        is_time = self.is_time
        if is_time and t < now_ms - self.duration_ms:
            if log is not None:
                log((t, event.entity, event.metric, STEP_EXPIRED))
            return
        if self.no_tags:
            local = event.entity if self.entity_grouping else None
            wr = self.windows.get(local)
            if wr is None:
                wr = self.open_window((self.kind, self.metric, local, ()), event, now_ms)
                if wr is None:
                    return
        else:
            kind = event.kind
            key = self.grouping.key(
                kind, self.metric, event.entity,
                event.tags if kind != PROPERTY else event_tags(event),
            )  # fmt: skip
            wr = self.windows.get(_local_key(key[2], key[3]))
            if wr is None:
                wr = self.open_window(key, event, now_ms)
                if wr is None:
                    return
        w = wr.window
        if self.discard_previous:
            mt = w.max_time
            if mt is not None and t < mt:
                if log is not None:
                    log((t, event.entity, event.metric, STEP_OUT_OF_ORDER))
                return
        if self.exit_checks:
            self.run_exits(wr, now_ms, out)
        st = wr.state
        v = event.value
        removed = w.add(t, v, now_ms) if is_time else w.add(t, v)  # type: ignore[call-arg]
        if removed:  # an eviction or a prune happened
            st.remove_time = now_ms
        # WindowState.record_add, inlined
        st.event = event
        st.command_time = t
        st.is_exiting = False
        st.previous_add_time = st.add_time
        st.add_time = now_ms
        st.update_time = now_ms
        if log is not None:
            log(event)  # FilterLog: an Event entry stands for ACCEPTED
        check = self.window_check
        if check is not None:  # as in _run_simple
            result = check(w)  # aggregates of our windows: cannot raise
            if result is False and st.status == CANCEL:
                return
            self._decide(wr, self.scope.bind(wr, now_ms), result, now_ms, out, REASON_EVALUATION)
            return
        # evaluate(), inlined up to the common CANCEL → CANCEL outcome
        scope = self.scope
        scope.wr = wr  # WindowScope.bind, inlined
        scope.window = w
        scope.event = event
        scope.now_ms = now_ms
        if scope._vars:
            scope._vars = {}
        try:
            result = self.condition_eval(scope)
        except Exception as exc:  # user expressions fail in many ways; each is a Rule Error
            self._condition_failed(wr, now_ms, exc)
            return
        if result is False and st.status == CANCEL:
            return
        self._decide(wr, scope, result, now_ms, out, REASON_EVALUATION)

    def run_exits(self, wr: WindowRuntime, now_ms: int, out: list[TriggerSnapshot]) -> None:
        """Check On Exit: evaluate once per expired sample, oldest first (§3.3)."""
        removed = wr.window.expire(now_ms)  # type: ignore[union-attr]
        for t, _v in removed:
            wr.state.record_remove(t, now_ms)
            self.evaluate(wr, now_ms, out, REASON_EXIT)

    def evaluate(
        self, wr: WindowRuntime, now_ms: int, out: list[TriggerSnapshot], reason: str
    ) -> None:
        """Condition → status → trigger. Errors leave the status unchanged (§3.4)."""
        scope = self.scope.bind(wr, now_ms)
        try:
            result = self.condition_eval(scope)
        except Exception as exc:  # user expressions fail in many ways; each is a Rule Error
            self._condition_failed(wr, now_ms, exc)
            return
        if result is False and wr.state.status == CANCEL:
            return  # CANCEL → CANCEL: nothing to do, the common case
        self._decide(wr, scope, result, now_ms, out, reason)

    def _decide(
        self,
        wr: WindowRuntime,
        scope: WindowScope,
        result: Any,
        now_ms: int,
        out: list[TriggerSnapshot],
        reason: str,
    ) -> None:
        """The rest of ``evaluate`` once the condition's result is known."""
        st = wr.state
        if result is not False and result is not True:
            self._fail(
                wr, now_ms,
                f"condition returned {type(result).__name__} {result!r}, not a boolean",
                self.rule.expression,
            )  # fmt: skip
            return
        variables: dict[str, Any] = {}
        if self.variable_exprs:
            try:
                variables = scope.all_variables()
            except Exception as exc:  # a failing variable fails the evaluation
                self._fail(wr, now_ms, f"{type(exc).__name__}: {exc}", self.rule.expression)
                return
        status = st.apply(result, now_ms)
        if status is not None:
            out.append(self.trigger(wr, status, now_ms, reason, variables))

    def _condition_failed(self, wr: WindowRuntime, now_ms: int, exc: Exception) -> None:
        err = self.condition_error(exc)
        self._fail(wr, now_ms, f"{type(err).__name__}: {err}", self.rule.expression)

    def _fail(self, wr: WindowRuntime, now_ms: int, message: str, expression: str) -> None:
        self.engine._error(now_ms, self.rule.name, message, expression, wr.state.event, wr.display)

    def trigger(
        self,
        wr: WindowRuntime,
        status: str,
        now_ms: int,
        reason: str,
        variables: dict[str, Any],
        *,
        decide_actions: bool = True,
        delay_expired: bool = False,
        outcomes: list[ActionOutcome] | None = None,
    ) -> TriggerSnapshot:
        st = wr.state
        w = wr.window
        ev = st.event
        if outcomes is None:
            outcomes = []
            if decide_actions:
                for settings in self.rule.actions:
                    prev = st.actions.get(settings.name, act.INITIAL)
                    o = act.decide(settings, prev, status, st.repeat_count, now_ms, st.episode)
                    st.actions[settings.name] = o.state
                    outcomes.append(ActionOutcome(settings.name, o.decision.value, o.countdown_ms))
        data_type, metric, window_entity, tag_items = wr.key
        rule = self.rule
        return TriggerSnapshot(
            rule=rule.name,
            reason=reason,
            window_key=wr.display,
            key=wr.key_json,
            status=status,
            before_status=st.before_status,
            repeat_count=st.repeat_count,
            episode=st.episode,
            severity=self.severity_for(ev),
            now_ms=now_ms,
            open_time=st.open_time,
            repeat_time=st.repeat_time,
            cancel_time=st.cancel_time,
            change_time=st.change_time,
            add_time=st.add_time,
            previous_add_time=st.previous_add_time,
            remove_time=st.remove_time,
            update_time=st.update_time,
            command_time=st.command_time,
            command_first_time=w.first_time(),
            command_last_time=w.last_time(),
            received_time=ev.receive_ms if ev else None,
            data_type=data_type,
            metric=metric,
            entity=ev.entity if ev else window_entity,
            window_entity=window_entity,
            window_tags=dict(tag_items),
            tags=dict(event_tags(ev)) if ev else {},
            value=ev.value if ev else math.nan,
            open_value=st.open_value,
            text=ev.text if ev else None,
            line_values=dict(ev.line_values) if ev else {},
            message_type=ev.type if ev else None,
            message_source=ev.source if ev else None,
            message_severity=ev.severity if ev else None,
            keys=dict(ev.keys) if ev else {},
            is_exiting=st.is_exiting,
            delay_expired=delay_expired,
            window=self.spec.text,
            expression=rule.expression,
            rule_filter=rule.filter,
            statistics={
                "count": w.count(),
                "countNaN": w.count_nan(),
                "sum": w.sum(),
                "avg": w.avg(),
                "min": w.min(),
                "max": w.max(),
                "first": w.first(),
                "last": w.last(),
            },
            times=w.times(),
            values=w.values(),
            variables=variables,
            actions=tuple(outcomes),
        )


class Engine:
    """All rules and windows of one partition.

    ``compiler(text, kind)`` compiles expression texts (default: the project's
    expression package). ``entity_lookup``/``metric_lookup`` give the entity/metric
    objects expressions see (labels, tags), fed by the running engine from its cache.
    ``window_limits`` and ``max_windows`` bound what a rule may hold (none by default;
    the running engine takes them from settings, see ``rules.limits``).
    """

    def __init__(
        self,
        compiler: Compiler | None = None,
        *,
        zone: str = "UTC",
        entity_lookup: EntityLookup = default_entity,
        metric_lookup: MetricLookup = default_metric,
        filter_log_size: int = 100,
        error_log_size: int = 1000,
        cancel_on_rule_change: bool = False,
        window_limits: WindowLimits = NO_LIMITS,
        max_windows: int | None = None,
    ) -> None:
        self.compiler: Compiler = compiler or default_compiler
        self.zone = zone
        self.entity_lookup = entity_lookup
        self.metric_lookup = metric_lookup
        self.filter_log_size = filter_log_size
        self.cancel_on_rule_change = cancel_on_rule_change
        # Input bounds (design invariant 8): rules whose window is over ``window_limits``
        # are not installed; a rule holds at most ``max_windows`` windows (None: no limit).
        self.window_limits = window_limits
        self.max_windows = max_windows
        self.rules: dict[str, RuleRuntime] = {}
        self._index: dict[tuple[str, str], list[RuleRuntime]] = {}
        # The same index by kind, then metric: found without building a tuple per event.
        self._by_kind: dict[str, dict[str, list[RuleRuntime]]] = {}
        self.errors: deque[RuleError] = deque(maxlen=error_log_size)
        self._probe_cache: dict[str, Evaluable] = {}

    # -- rules -----------------------------------------------------------------------

    def install(self, rule: RuleDefinition, now_ms: int = 0) -> list[TriggerSnapshot]:
        """Add or replace a rule (§3.9). Replacing with the same filters, grouping,
        window and condition keeps the windows (actions-only change); otherwise the old
        windows are dropped as by ``drop_rule``. A disabled rule is dropped.

        Raises WindowSpecError / the compiler's errors for a broken rule, leaving the
        installed version untouched.
        """
        if not rule.enabled:
            return self.drop_rule(rule.name, now_ms)
        new = RuleRuntime(rule, self)
        old = self.rules.get(rule.name)
        out: list[TriggerSnapshot] = []
        if old is not None:
            if old.fingerprint == new.fingerprint:
                new.windows = old.windows
                new.window_limit_reported = old.window_limit_reported
            else:
                out = self.drop_rule(rule.name, now_ms)
        self.rules[rule.name] = new
        self._reindex()
        return out

    def drop_rule(self, name: str, now_ms: int = 0) -> list[TriggerSnapshot]:
        """Drop a rule and its windows. Open windows yield CANCEL triggers with reason
        ``rule_dropped`` so the alert store closes their alerts; their CANCEL actions
        fire only with ``cancel_on_rule_change`` (§3.9)."""
        rt = self.rules.pop(name, None)
        if rt is None:
            return []
        self._reindex()
        out = []
        for wr in rt.windows.values():
            st = wr.state
            if is_active(st.status):
                status = st.apply(False, now_ms)
                assert status == CANCEL
                out.append(
                    rt.trigger(
                        wr, CANCEL, now_ms, REASON_RULE_DROPPED, {},
                        decide_actions=self.cancel_on_rule_change,
                    )
                )  # fmt: skip
        rt.windows = {}
        return out

    def _reindex(self) -> None:
        index: dict[tuple[str, str], list[RuleRuntime]] = {}
        for rt in self.rules.values():
            index.setdefault((rt.kind, rt.metric), []).append(rt)
        self._index = index
        by_kind: dict[str, dict[str, list[RuleRuntime]]] = {}
        for (kind, metric), rts in index.items():
            by_kind.setdefault(kind, {})[metric] = rts
        self._by_kind = by_kind

    # -- events ----------------------------------------------------------------------

    def process(self, event: Event, now_ms: int) -> list[TriggerSnapshot]:
        """Apply one event to every matching rule (§3.1); returns the triggers.

        ``event.metric`` is expected lower-case (ingest normalises it, §1.1).
        """
        metrics = self._by_kind.get(event.kind)
        if metrics is None:
            return []
        rts = metrics.get(event.metric)
        if not rts:
            return []
        out: list[TriggerSnapshot] = []
        for rt in rts:
            rt.process(event, now_ms, out)
        return out

    def process_batch(self, events: Iterable[Event], now_ms: int) -> list[TriggerSnapshot]:
        """``process`` for a batch in order, with one clock reading for the batch."""
        out: list[TriggerSnapshot] = []
        by_kind = self._by_kind
        if not isinstance(events, list):
            events = list(events)
        n = len(events)
        i = 0
        while i < n:
            # Collectors send many samples of one metric in a row: a run of events with
            # the same kind and metric is looked up once and, when one rule takes it,
            # handed over in one call.
            first = events[i]
            kind, metric = first.kind, first.metric
            j = i + 1
            while j < n and events[j].metric == metric and events[j].kind == kind:
                j += 1
            metrics = by_kind.get(kind)
            rts = metrics.get(metric) if metrics is not None else None
            if rts:
                run = events if (i == 0 and j == n) else events[i:j]
                if len(rts) == 1:
                    rts[0].process_run(run, now_ms, out)
                else:  # event by event, so that every rule sees the others' state in order
                    for event in run:
                        for rt in rts:
                            rt.process(event, now_ms, out)
            i = j
        return out

    def tick(self, now_ms: int) -> list[TriggerSnapshot]:
        """Check On Exit sweep: expire samples of time windows of rules with
        ``check_on_exit`` and evaluate once per removed sample, oldest first."""
        out: list[TriggerSnapshot] = []
        for rt in self.rules.values():
            if not rt.exit_checks:
                continue
            cutoff = now_ms - rt.duration_ms
            for wr in rt.windows.values():
                first = wr.window.first_time()
                if first is not None and first < cutoff:
                    rt.run_exits(wr, now_ms, out)
        return out

    def next_tick_ms(self) -> int | None:
        """Earliest ``now`` at which ``tick`` has work (None: nothing can expire)."""
        best: int | None = None
        for rt in self.rules.values():
            if rt.exit_checks:
                for wr in rt.windows.values():
                    due = wr.window.next_expiry()  # type: ignore[union-attr]
                    if due is not None and (best is None or due < best):
                        best = due
        return best

    def delayed_open(
        self, rule: str, key: list, action: str, episode: int, now_ms: int
    ) -> TriggerSnapshot | None:
        """A Delay-on-OPEN countdown expired (§3.8): a trigger with status OPEN and
        ``delay_expired`` whose only firing action is ``action``, if the window is still
        OPEN/REPEAT in ``episode``; None when the OPEN is dropped."""
        rt = self.rules.get(rule)
        if rt is None:
            return None
        wr = rt.find_window(key_from_json(key))
        if wr is None:
            return None
        st = wr.state
        prev = st.actions.get(action, act.INITIAL)
        o = act.decide_delayed_open(prev, st.status, st.episode, episode, now_ms)
        st.actions[action] = o.state
        if o.decision != act.Decision.FIRE:
            return None
        scope = rt.scope.bind(wr, now_ms)
        try:
            variables = scope.all_variables()
        except Exception as exc:  # render without variables rather than lose the OPEN
            rt._fail(wr, now_ms, f"{type(exc).__name__}: {exc}", rt.rule.expression)
            variables = {}
        return rt.trigger(
            wr, OPEN, now_ms, REASON_DELAYED_OPEN, variables,
            delay_expired=True, outcomes=[ActionOutcome(action, o.decision.value)],
        )  # fmt: skip

    # -- services for scopes ------------------------------------------------------------

    def _rule_open(
        self, rule: str, entity: str | None, expression: str | None, current: Any
    ) -> bool:
        """rule_open(): another window of ``rule`` OPEN/REPEAT, matching ``entity``
        (pattern; None or '' = any) and ``expression`` over that window's tags, last
        message and status."""
        rt = self.rules.get(rule)
        if rt is None:
            return False
        entity_matches = compile_patterns(entity) if entity else None
        probe = None
        if expression:
            probe = self._probe_cache.get(expression)
            if probe is None:
                probe = self._probe_cache[expression] = self.compiler(expression, KIND_FILTER)
        for wr in rt.windows.values():
            if wr is current or not is_active(wr.state.status):
                continue
            ev = wr.state.event
            if entity_matches is not None and (ev is None or not entity_matches(ev.entity)):
                continue
            if probe is not None and probe.evaluate(_ProbeScope(wr, self.zone)) is not True:
                continue
            return True
        return False

    def _error(
        self,
        now_ms: int,
        rule: str,
        message: str,
        expression: str,
        event: Event | None,
        window_key: str | None,
    ) -> None:
        self.errors.append(
            RuleError(
                now_ms, rule, message, expression,
                event.to_wire() if event is not None else None, window_key,
            )
        )  # fmt: skip

    def drain_errors(self) -> list[RuleError]:
        """Rule errors collected since the last call, oldest first."""
        out = list(self.errors)
        self.errors.clear()
        return out

    def filter_log(self, rule: str) -> list[dict[str, Any]]:
        """The rule's recent filter decisions (step per event), oldest first."""
        rt = self.rules.get(rule)
        if rt is None or rt.filter_log is None:
            return []
        return rt.filter_log.to_list()

    # -- checkpoints ---------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """All window state as strict-JSON data (NaN → None)."""
        rules = {}
        for name, rt in self.rules.items():
            windows = []
            for wr in rt.windows.values():
                w = wr.window
                # A finite sum means every value is finite: copied as they are (the
                # partition snapshots thousands of windows in one go).
                plain = not w._n_nan and math.isfinite(w._sum)
                windows.append(
                    {
                        "key": wr.key_json,
                        "times": w.times(),
                        "values": w.values() if plain else [_none_if_nan(v) for v in w.values()],
                        "max_time": w.max_time,
                        "state": wr.state.to_dict(),
                    }
                )
            rules[name] = {"fingerprint": rt.fingerprint, "windows": windows}
        return {"version": 1, "rules": rules}

    def restore(self, data: dict[str, Any]) -> None:
        """Load windows from ``snapshot()`` output into the installed rules.

        Windows of rules not installed, or installed with a different fingerprint
        (filters/grouping/window/condition changed), are skipped: the rule change would
        have dropped them (§3.9).
        """
        if data.get("version") != 1:
            raise ValueError(f"unknown snapshot version {data.get('version')!r}")
        for name, rdata in data["rules"].items():
            rt = self.rules.get(name)
            if rt is None or rt.fingerprint != rdata["fingerprint"]:
                continue
            rt.windows = {}
            for wdata in rdata["windows"]:
                if self.max_windows is not None and len(rt.windows) >= self.max_windows:
                    # A lowered limit holds across a restart; the partition closes the
                    # alerts of windows left out (rules.alerts.store.reconcile).
                    break
                wr = rt.new_window(key_from_json(wdata["key"]))
                w = wr.window
                for t, v in zip(wdata["times"], wdata["values"], strict=True):
                    w._put(t, math.nan if v is None else v)
                w.max_time = wdata["max_time"]
                wr.state = WindowState.from_dict(wdata["state"])


class _ProbeScope:
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
