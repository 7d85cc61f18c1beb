"""The engine of one partition: its rules and their windows (spec §3).

Pure Python with an explicit clock: no Django, no ORM, no network. The running engine
(a Celery worker owning one partition, rules.partition) drives it:

* ``Engine.install(rule)`` / ``Engine.drop_rule(name)`` when rules change (§3.9);
* ``Engine.process(event, now_ms)`` for one event; the partition worker, which knows
  each event's rules from routing, hands runs of events to ``RuleRuntime.process_run``
  itself; ``Engine.process_batch`` does the same by (kind, metric) (the benchmark);
* ``Engine.tick(now_ms)`` about once a second for Check On Exit expiry and for flapping
  windows that became stable (rules.engine.flapping);
* ``Engine.delayed_open(...)`` when a Delay-on-OPEN countdown expires (§3.8);
* ``Engine.snapshot()`` / ``Engine.restore(data)``: all window state as one JSON value
  (the format partitions checkpointed in before they wrote a record per changed window,
  rules.engine.window_codec; still read when found);
* ``Engine.drain_errors()`` for the Rule Errors page.

Each returns ``TriggerSnapshot`` objects (OPEN/REPEAT/CANCEL, rules.contract.triggers) to
hand to the alert store and notifications.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

from rules.contract.triggers import (
    FLAP_ENDED,
    REASON_DELAYED_OPEN,
    REASON_FLAP_STABLE,
    REASON_RULE_DROPPED,
    ActionOutcome,
    TriggerSnapshot,
)
from rules.engine import actions as act
from rules.engine.definition import (
    KIND_FILTER,
    Compiler,
    Evaluable,
    RuleDefinition,
    default_compiler,
)
from rules.engine.flapping import FlapSettings, mark, stable_outcomes
from rules.engine.grouping import key_from_json
from rules.engine.overrides import GroupMembership, no_groups, routed_actions
from rules.engine.rule_errors import RuleError
from rules.engine.rule_filter import compile_patterns
from rules.engine.rule_runtime import RuleRuntime
from rules.engine.scope import (
    EntityLookup,
    MetricLookup,
    ProbeScope,
    default_entity,
    default_metric,
)
from rules.engine.state import WindowState
from rules.engine.status import CANCEL, OPEN, is_active
from rules.engine.window_record import window_record
from rules.engine.window_runtime import WindowRuntime
from rules.engine.windows import NO_LIMITS, WindowLimits
from rules.events import Event
from rules.expressions.stores import NO_STORES, DataStores
from rules.expressions.values import Record


def _none_if_nan(x: float) -> float | None:
    return None if not math.isfinite(x) else x


class Engine:
    """All rules and windows of one partition.

    ``compiler(text, kind)`` compiles expression texts (default: the project's
    expression package). ``entity_lookup``/``metric_lookup`` give the entity/metric
    objects expressions see (labels, tags), fed by the running engine from its cache.
    ``stores`` is what store-reading functions (``property()``, ``lookup()``...) read.
    ``window_limits`` and ``max_windows`` bound what a rule may hold (none by default;
    the running engine takes them from settings, see ``rules.limits``). ``group_member``
    answers entity group membership for ``groupFilter`` and override rows.
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
        stores: DataStores = NO_STORES,
        group_member: GroupMembership = no_groups,
        store_reads: Any = None,
    ) -> None:
        self.compiler: Compiler = compiler or default_compiler
        # StoreReads (rules.expressions.context) for db_last, last_open, loadHistory...;
        # None: those functions are Rule Errors and windows start empty.
        self.store_reads = store_reads
        self.zone = zone
        self.entity_lookup = entity_lookup
        self.metric_lookup = metric_lookup
        self.stores = stores
        self.group_member = group_member
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
                new.changed = old.changed
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
        ``check_on_exit`` and evaluate once per removed sample, oldest first; then one
        ``FLAP_ENDED`` trigger per flapping window stable for its rule's period."""
        out: list[TriggerSnapshot] = []
        for rt in self.rules.values():
            flap = rt.rule.flap
            if flap is not None:
                for wr in rt.windows.values():
                    fs = wr.state.flap
                    if fs is not None and fs.settle(flap, now_ms):
                        rt.changed.add(wr)
                        out.append(self._flap_ended(rt, wr, flap, now_ms))
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
            flap = rt.rule.flap
            if flap is not None:
                for wr in rt.windows.values():
                    fs = wr.state.flap
                    due = fs.stable_at(flap) if fs is not None else None
                    if due is not None and (best is None or due < best):
                        best = due
            if rt.exit_checks:
                for wr in rt.windows.values():
                    due = wr.window.next_expiry()  # type: ignore[union-attr]
                    if due is not None and (best is None or due < best):
                        best = due
        return best

    def delayed_open(
        self, rule: str, key: list[Any], action: str, episode: int, now_ms: int
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
        rt.changed.add(wr)
        st = wr.state
        if st.flap is not None and st.flap.flapping:
            return None  # the flapping message stands for it
        prev = st.actions.get(action, act.INITIAL)
        o = act.decide_delayed_open(prev, st.status, st.episode, episode, now_ms)
        st.actions[action] = o.state
        if o.decision != act.Decision.FIRE:
            return None
        scope = rt.scope.bind(wr, now_ms)
        try:
            variables = scope.all_variables()
        except Exception as exc:  # render without variables rather than lose the OPEN
            rt.record_failure(wr, now_ms, f"{type(exc).__name__}: {exc}", rt.rule.expression)
            variables = {}
        return rt.trigger(
            wr, OPEN, now_ms, REASON_DELAYED_OPEN, variables,
            delay_expired=True, outcomes=[ActionOutcome(action, o.decision.value)],
        )  # fmt: skip

    def _flap_ended(
        self, rt: RuleRuntime, wr: WindowRuntime, flap: FlapSettings, now_ms: int
    ) -> TriggerSnapshot:
        """The one "stable again" trigger of a window that stopped flapping: its current
        status, told by the message actions and alert history."""
        st = wr.state
        variables: dict[str, Any] = {}
        if rt.variable_exprs:
            try:
                variables = rt.scope.bind(wr, now_ms).all_variables()
            except Exception as exc:  # tell the stable state without variables
                rt.record_failure(wr, now_ms, f"{type(exc).__name__}: {exc}", rt.rule.expression)
        actions = rt.rule.actions
        if wr.override is not None or rt.overrides_only_actions:
            actions = tuple(routed_actions(actions, wr.override))
        outcomes = stable_outcomes(actions, st.actions, st.episode, is_active(st.status), now_ms)
        snapshot = rt.trigger(
            wr, st.status, now_ms, REASON_FLAP_STABLE, variables, outcomes=outcomes
        )
        mark(snapshot, flap, FLAP_ENDED)
        return snapshot

    # -- services for rules and scopes ------------------------------------------------------------

    def _other_windows(
        self, rule: str, entity: str | None, expression: str | None, current: Any
    ) -> Iterator[tuple[RuleRuntime, WindowRuntime]]:
        """Windows of ``rule`` other than ``current`` matching ``entity`` (pattern; None
        or '' = any) and ``expression`` over that window's tags, last message and status."""
        rt = self.rules.get(rule)
        if rt is None:
            return
        entity_matches = compile_patterns(entity) if entity else None
        probe = None
        if expression:
            probe = self._probe_cache.get(expression)
            if probe is None:
                probe = self._probe_cache[expression] = self.compiler(expression, KIND_FILTER)
        for wr in list(rt.windows.values()):
            if wr is current:
                continue
            ev = wr.state.event
            if entity_matches is not None and (ev is None or not entity_matches(ev.entity)):
                continue
            if probe is not None and probe.evaluate(ProbeScope(wr, self.zone)) is not True:
                continue
            yield rt, wr

    def rule_open(
        self, rule: str, entity: str | None, expression: str | None, current: Any
    ) -> bool:
        """rule_open(): another matching window of ``rule`` is OPEN/REPEAT (see
        ``_other_windows``)."""
        return any(
            is_active(wr.state.status)
            for _, wr in self._other_windows(rule, entity, expression, current)
        )

    def rule_windows(
        self, rule: str, entity: str | None, expression: str | None, current: Any
    ) -> list[Record]:
        """rule_window()/rule_windows(): the other matching windows of ``rule`` (see
        ``_other_windows``) as objects with their fields, in the order they opened."""
        return [
            window_record(rt, wr, self.zone)
            for rt, wr in self._other_windows(rule, entity, expression, current)
        ]

    def record_error(
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
