"""A compiled rule and its windows: filter → window → condition → status → trigger (spec §3).

``RuleRuntime.process`` and ``process_run`` are the engine's hot loop: they run once per
sample and rule, written with locals and inlined steps where ``bench_engine`` shows it
pays. The rule reaches the engine that holds it (compiler, zone, lookups, limits, the
error log, ``rule_open``) through ``RuleHost``.
"""

from __future__ import annotations

import math
from array import array
from bisect import insort
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from rules.contract.triggers import (
    ALERT_LOG_ACTION,
    REASON_EVALUATION,
    REASON_EXIT,
    ActionOutcome,
    Decision,
    TriggerSnapshot,
)
from rules.engine import actions as act
from rules.engine.aggregates import ORDER_STATISTIC_FUNCTIONS, SMALL_ORDER_MAX, plan_evaluator
from rules.engine.definition import (
    KIND_CONDITION,
    KIND_FILTER,
    KIND_VARIABLE,
    Compiler,
    Evaluable,
    RuleDefinition,
)
from rules.engine.derived import derived_commands
from rules.engine.flapping import mark_flapping
from rules.engine.grouping import DEFINED_TAGS, NO_TAGS, WindowKey, display_key
from rules.engine.history_prefill import prefill_window
from rules.engine.logging_text import alert_text, template_for
from rules.engine.overrides import (
    GroupMembership,
    OverrideError,
    OverrideTable,
    routed_actions,
    with_overrides,
)
from rules.engine.rule_filter import (
    STEP_EXPIRED,
    STEP_FILTER_ERROR,
    STEP_OUT_OF_ORDER,
    STEP_WINDOW_LIMIT,
    FilterLog,
    RuleFilter,
    compile_patterns,
    data_type_of,
)
from rules.engine.scope import EntityLookup, FilterScope, MetricLookup, WindowScope, event_tags
from rules.engine.status import CANCEL
from rules.engine.window_runtime import WindowRuntime, local_key
from rules.engine.windows import WindowLimits, WindowSpec, parse_window_spec
from rules.events import MESSAGE, PROPERTY, SEVERITY_NAMES, Event
from rules.expressions.stores import DataStores


class RuleHost(Protocol):
    """What a rule needs from the engine that holds it (``Engine``)."""

    compiler: Compiler
    zone: str
    entity_lookup: EntityLookup
    metric_lookup: MetricLookup
    stores: DataStores
    filter_log_size: int
    window_limits: WindowLimits
    max_windows: int | None
    cancel_on_rule_change: bool
    group_member: GroupMembership
    store_reads: Any

    def rule_open(
        self, rule: str, entity: str | None, expression: str | None, current: Any
    ) -> bool: ...

    def rule_windows(
        self, rule: str, entity: str | None, expression: str | None, current: Any
    ) -> list[Any]: ...

    def record_error(
        self,
        now_ms: int,
        rule: str,
        message: str,
        expression: str,
        event: Event | None,
        window_key: str | None,
    ) -> None: ...


# Decision members as the plain strings ActionOutcome carries (one dict lookup rather
# than the enum's ``value`` descriptor, on every trigger).
_DECISION_TEXT = {d: d.value for d in Decision}


def _same_error(exc: Exception) -> Exception:
    return exc


class RuleRuntime:
    """A compiled rule and its windows."""

    def __init__(self, rule: RuleDefinition, engine: RuleHost) -> None:
        self.rule = rule
        self.engine = engine
        sev = rule.severity.upper()
        self.severity = {"INFO": "NORMAL", "WARN": "WARNING", "ERROR": "CRITICAL"}.get(sev, sev)
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
        self.filter_scope.stores = engine.stores
        self.filter = RuleFilter(
            rule.metric,
            type_=rule.type if self.kind != "series" else None,
            source=rule.source if self.kind == MESSAGE else None,
            entity_filter=rule.entity_filter,
            filter_expr=filter_expr,
            filter_ctx=self.filter_scope.bind,
            grace_ms=rule.time_filter_ms,
            group_filter=rule.group_filter,
            group_member=engine.group_member,
            active_hours=rule.active_hours,
            zone=engine.zone,
        )
        # Precomputed: a rule with no filter steps beyond its (kind, metric) index entry
        # skips the filter chain entirely on the hot path.
        self.trivial_filter = (
            self.filter.type is None
            and self.filter.source is None
            and compile_patterns(rule.entity_filter) is None
            and filter_expr is None
            and not rule.time_filter_ms
            and self.filter.group is None
            and rule.active_hours is None
        )
        self.grouping = rule.grouping
        self.is_time = self.spec.kind == "time"
        self.duration_ms = self.spec.size if self.is_time else 0
        self.exit_checks = self.is_time and rule.check_on_exit
        # Keyed by _local_key (entity, or entity and tags), not the full WindowKey.
        self.windows: dict[Any, WindowRuntime] = {}
        # Windows made or changed since the partition's last checkpoint, which writes
        # only these (rules.partition.journal) and empties the set.
        self.changed: set[WindowRuntime] = set()
        # Set when a new window was first refused for the windows limit: one Rule Error
        # while the rule keeps its windows, not one per dropped sample.
        self.window_limit_reported = False
        self.scope = WindowScope(
            rule,
            self.spec.text,
            self.variable_exprs,
            engine.zone,
            engine.entity_lookup,
            engine.metric_lookup,
            engine.rule_open,
            engine.store_reads,
            engine.rule_windows,
        )
        self.scope.stores = engine.stores
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
        # Ordered storage from the first sample for rules that read percentiles; others
        # build it only if something asks (RunningStats.percentile).
        self.track_order = used is not None and not used.isdisjoint(ORDER_STATISTIC_FUNCTIONS)
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
        # An overrides table replaces the condition for the windows its rows match.
        self.overrides: OverrideTable | None = None
        self.overrides_only_actions = any(a.overrides_only for a in rule.actions)
        if rule.overrides_error:
            raise OverrideError(rule.overrides_error)
        if rule.overrides:
            self.overrides = OverrideTable(
                rule.overrides, lambda text: compile_(text, KIND_VARIABLE), engine.group_member
            )
            self.condition_eval = with_overrides(
                self.overrides, self.condition_eval, self.condition_error, event_tags
            )
            self.condition_error = _same_error
            self.window_check = None

    def severity_for(self, event: Event | None) -> str:
        """Rule severity; message rules with UNKNOWN/UNDEFINED take the message's (§3.10)."""
        sev = self.severity
        if (
            sev in ("UNKNOWN", "UNDEFINED")
            and event is not None
            and event.kind == MESSAGE
            and event.severity is not None
        ):
            return SEVERITY_NAMES[event.severity]
        return sev

    def new_window(self, key: WindowKey) -> WindowRuntime:
        window = self.spec.new_window(track_min=self.track_min, track_max=self.track_max)
        if self.track_order:
            window.keep_order()
        wr = WindowRuntime(key, window)
        self.windows[local_key(key[2], key[3])] = wr
        self.changed.add(wr)
        return wr

    def open_window(self, key: WindowKey, event: Event, now_ms: int) -> WindowRuntime | None:
        """A new window for ``event``, or None when the rule already holds the engine's
        ``max_windows``: the event is dropped (filter log step ``window_limit``) and the
        first refusal is a Rule Error."""
        cap = self.engine.max_windows
        if cap is None or len(self.windows) < cap:
            wr = self.new_window(key)
            if self.rule.load_history:
                prefill_window(self, wr, event, now_ms)
            return wr
        if self.log_append is not None:
            self.log_append((event.time_ms, event.entity, event.metric, STEP_WINDOW_LIMIT))
        if not self.window_limit_reported:
            self.window_limit_reported = True
            self.engine.record_error(
                now_ms, self.rule.name,
                f"the rule holds {cap:,} windows, the limit (RULE_MAX_WINDOWS): samples "
                "that would open a new window are dropped",
                self.rule.window, event, display_key(key),
            )  # fmt: skip
        return None

    def find_window(self, key: WindowKey) -> WindowRuntime | None:
        """The window with this full key, if any."""
        return self.windows.get(local_key(key[2], key[3]))

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
        capacity = math.inf if is_time else self.spec.size
        check = self.window_check
        log = self.log_append
        changed = self.changed.add
        for event in events:
            t = event.time_ms
            wr = windows.get(event.entity)
            if wr is None:
                self._process_general(event, now_ms, out)  # creates the window
                continue
            changed(wr)
            w = wr.window
            v = event.value
            ts = w._t
            if ts and t >= ts[-1] and v == v and w._nn is None and (not is_time or ts[0] >= cutoff):
                # Window.add for its most common case, inlined: an in-order non-NaN value
                # into a window holding no NaN and, for a time window, nothing to prune.
                # Keep in step with TimeWindow.add/CountWindow.add and RunningStats
                # append/popleft; the fast-path tests compare the two on random streams.
                w.max_time = t
                ts.append(t)
                w._all.append(v)
                ws = w._sum
                x = ws + v
                b = x - ws
                w._comp += (ws - (x - b)) + (v - b)
                w._sum = x
                so = w._sorted
                if so is None:
                    if v > w._hi:
                        w._hi = v
                    if v < w._lo:
                        w._lo = v
                elif type(so) is array and len(so) < SMALL_ORDER_MAX:
                    insort(so, v)
                else:
                    w._order_add(v)
                if len(ts) > capacity:  # a full count window: the oldest sample leaves
                    del ts[0]  # an array or a deque (rules.engine.windows)
                    w.popleft()
                    removed = 1
                else:
                    removed = 0
            elif is_time:
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
                    self.engine.record_error(
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
            wr = self.windows.get(local_key(key[2], key[3]))
            if wr is None:
                wr = self.open_window(key, event, now_ms)
                if wr is None:
                    return
        self.changed.add(wr)
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
        if removed:
            self.changed.add(wr)
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
            self.record_failure(
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
                self.record_failure(
                    wr, now_ms, f"{type(exc).__name__}: {exc}", self.rule.expression
                )
                return
        status = st.apply(result, now_ms)
        if status is not None:
            snapshot = self.trigger(wr, status, now_ms, reason, variables)
            if self.rule.flap is not None:
                mark_flapping(snapshot, st, self.rule.flap, self.rule.actions, now_ms)
            if self.rule.derived_command:
                self.derive(wr, snapshot, scope, now_ms)
            if any(self.rule.alert_texts):
                self.log_text(wr, snapshot, scope, now_ms)
            if self.rule.alert_logger and ALERT_LOG_ACTION in snapshot.fired():
                snapshot.alert_logger = self.rule.alert_logger
            out.append(snapshot)

    def log_text(
        self, wr: WindowRuntime, snapshot: TriggerSnapshot, scope: WindowScope, now_ms: int
    ) -> None:
        """Attach the rendered Logging-tab text to ``snapshot``; a failure is a rule error."""
        text, errors = alert_text(snapshot, self.rule.alert_texts, scope)
        snapshot.alert_text = text
        template = template_for(snapshot.status, self.rule.alert_texts)
        for error in errors:
            self.record_failure(wr, now_ms, f"logging text not rendered: {error}", template)

    def derive(
        self, wr: WindowRuntime, snapshot: TriggerSnapshot, scope: WindowScope, now_ms: int
    ) -> None:
        """Attach the rendered derived commands to ``snapshot``; problems are rule errors."""
        event = wr.state.event
        depth = event.derived_depth if event is not None else 0
        lines, errors = derived_commands(snapshot, self.rule.derived_command, scope, depth)
        snapshot.derived_commands = lines
        snapshot.derived_depth = depth + 1
        for error in errors:
            self.record_failure(wr, now_ms, error, self.rule.derived_command)

    def _condition_failed(self, wr: WindowRuntime, now_ms: int, exc: Exception) -> None:
        err = self.condition_error(exc)
        self.record_failure(wr, now_ms, f"{type(err).__name__}: {err}", self.rule.expression)

    def record_failure(self, wr: WindowRuntime, now_ms: int, message: str, expression: str) -> None:
        self.engine.record_error(
            now_ms, self.rule.name, message, expression, wr.state.event, wr.display
        )

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
        override = wr.override
        if outcomes is None:
            outcomes = []
            if decide_actions:
                actions = self.rule.actions
                if override is not None or self.overrides_only_actions:
                    actions = tuple(routed_actions(actions, override))
                for settings in actions:
                    prev = st.actions.get(settings.name, act.INITIAL)
                    o = act.decide(settings, prev, status, st.repeat_count, now_ms, st.episode)
                    st.actions[settings.name] = o.state
                    outcomes.append(
                        ActionOutcome(settings.name, _DECISION_TEXT[o.decision], o.countdown_ms)
                    )
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
            severity=override.severity if override is not None else self.severity_for(ev),
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
            threshold=override.threshold if override is not None else "",
            instant=rule.instant_action,
        )
