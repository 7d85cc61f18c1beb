"""Flap damping: a window that keeps opening and cancelling is told about once.

A rule with ``FlapSettings`` counts, per window, the OPEN→CANCEL changes within the
last ``period_ms``. When there are more than ``changes`` of them, the window is
*flapping*: the trigger that crossed the bound carries ``FLAP_STARTED`` (one
"flapping" message goes out), every later trigger carries ``FLAP_ONGOING`` (no
messages; the alert store and history still record the truth) until no OPEN or
CANCEL happened for ``period_ms``; then the engine's tick makes one trigger with the
window's current status marked ``FLAP_ENDED`` (one "stable again" message).

Pure and clock-explicit like the rest of the engine. ``FlapState`` is kept with the
window's state (``WindowState.flap``) and has its own ``to_dict``/``from_dict``, so a
checkpoint carries it across restarts.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from rules.contract.triggers import (
    ALERT_HISTORY_ACTION,
    EMAIL_ACTION_PREFIX,
    FLAP_NONE,
    FLAP_ONGOING,
    FLAP_STARTED,
    WEB_ACTION_PREFIX,
    ActionOutcome,
    Decision,
    TriggerSnapshot,
)
from rules.engine.actions import ActionSettings, ActionState
from rules.engine.status import CANCEL, OPEN


@dataclass(frozen=True, slots=True)
class FlapSettings:
    """More than ``changes`` OPEN→CANCEL within ``period_ms`` is flapping; stable again
    after ``period_ms`` without an OPEN or CANCEL."""

    changes: int
    period_ms: int

    def __post_init__(self) -> None:
        if self.changes < 1:
            raise ValueError(f"flap damping: changes must be at least 1, not {self.changes}")
        if self.period_ms < 1:
            raise ValueError(f"flap damping: the period must be positive, not {self.period_ms}")


class FlapState:
    """One window's recent cancels and whether it is flapping.

    ``cancels`` holds the times (ms) of the OPEN→CANCEL changes still inside the period,
    at most ``changes + 1`` of them; ``last_change_ms`` is the last OPEN or CANCEL while
    flapping, from which stability is measured.
    """

    __slots__ = ("cancels", "flapping", "last_change_ms")

    def __init__(self) -> None:
        self.cancels: deque[int] = deque()
        self.flapping = False
        self.last_change_ms: int | None = None

    def observe(self, settings: FlapSettings, status: str, now_ms: int) -> str:
        """The flap marking of a trigger with ``status`` made at ``now_ms``:
        ``FLAP_STARTED``, ``FLAP_ONGOING`` or ``FLAP_NONE``."""
        if self.flapping:
            if status in (OPEN, CANCEL):
                self.last_change_ms = now_ms
            return FLAP_ONGOING
        if status != CANCEL:
            return FLAP_NONE
        cancels = self.cancels
        cancels.append(now_ms)
        horizon = now_ms - settings.period_ms
        while cancels and cancels[0] <= horizon:
            cancels.popleft()
        if len(cancels) > settings.changes:
            cancels.clear()
            self.flapping = True
            self.last_change_ms = now_ms
            return FLAP_STARTED
        return FLAP_NONE

    def stable_at(self, settings: FlapSettings) -> int | None:
        """When a flapping window counts as stable (None: not flapping)."""
        if not self.flapping or self.last_change_ms is None:
            return None
        return self.last_change_ms + settings.period_ms

    def settle(self, settings: FlapSettings, now_ms: int) -> bool:
        """End flapping when the window has been stable for the period; True if it ended."""
        due = self.stable_at(settings)
        if due is None or now_ms < due:
            return False
        self.flapping = False
        self.last_change_ms = None
        return True

    def to_dict(self) -> dict[str, Any]:
        return {
            "cancels": list(self.cancels),
            "flapping": self.flapping,
            "last_change_ms": self.last_change_ms,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FlapState:
        state = cls()
        state.cancels = deque(data.get("cancels", ()))
        state.flapping = bool(data.get("flapping", False))
        state.last_change_ms = data.get("last_change_ms")
        return state


class FlappingWindow(Protocol):
    """The window state flap damping reads and writes (``WindowState``)."""

    flap: FlapState | None
    actions: dict[str, ActionState]


def observe(window: FlappingWindow, settings: FlapSettings, status: str, now_ms: int) -> str:
    """``FlapState.observe`` on the window state's flap state, made at its first use."""
    if window.flap is None:
        window.flap = FlapState()
    return window.flap.observe(settings, status, now_ms)


def mark(snapshot: TriggerSnapshot, settings: FlapSettings, marking: str) -> None:
    """Put the flap marking and the rule's damping settings on ``snapshot``."""
    snapshot.flapping = marking
    snapshot.flap_changes = settings.changes
    snapshot.flap_period_ms = settings.period_ms


def mark_flapping(
    snapshot: TriggerSnapshot,
    window: FlappingWindow,
    settings: FlapSettings,
    actions: Iterable[ActionSettings],
    now_ms: int,
) -> None:
    """Flap damping for a trigger the engine just decided: the window's flap state
    observes it, the snapshot gets its marking, and its message actions are damped."""
    marking = observe(window, settings, snapshot.status, now_ms)
    if marking:
        mark(snapshot, settings, marking)
        snapshot.actions = tuple(damp(actions, list(snapshot.actions), marking, window.actions))


def is_message_action(name: str) -> bool:
    """A web or email notification binding's action: what flap damping quiets."""
    return name.startswith((WEB_ACTION_PREFIX, EMAIL_ACTION_PREFIX))


def _tells_changes(settings: ActionSettings) -> bool:
    return settings.on_open or settings.on_cancel


def damp(
    actions: Iterable[ActionSettings],
    outcomes: list[ActionOutcome],
    marking: str,
    states: dict[str, ActionState],
) -> list[ActionOutcome]:
    """The outcomes of a trigger marked ``marking``: at ``FLAP_STARTED`` every message
    action that tells OPEN or CANCEL fires (the one "flapping" message); at
    ``FLAP_ONGOING`` no message action fires or schedules a delayed OPEN (its state
    in ``states`` then counts the OPEN as told, so repeats after flapping follow the
    strategy). Other actions keep their decision."""
    if marking not in (FLAP_STARTED, FLAP_ONGOING):
        return outcomes
    telling = {a.name for a in actions if is_message_action(a.name) and _tells_changes(a)}
    out = []
    for o in outcomes:
        if not is_message_action(o.action):
            out.append(o)
        elif marking == FLAP_STARTED and o.action in telling:
            out.append(ActionOutcome(o.action, Decision.FIRE.value))
        elif o.decision != Decision.SUPPRESS:
            state = states.get(o.action)
            if state is not None:
                states[o.action] = replace(state, pending_episode=None, open_sent=True)
            out.append(ActionOutcome(o.action, Decision.SUPPRESS.value))
        else:
            out.append(o)
    return out


def stable_outcomes(
    actions: Iterable[ActionSettings],
    states: dict[str, ActionState],
    episode: int | None,
    active: bool,
    now_ms: int,
) -> list[ActionOutcome]:
    """The outcomes of the ``FLAP_ENDED`` trigger: message actions that tell OPEN or
    CANCEL fire (the one "stable again" message), alert history records it when it
    records OPEN or CANCEL, the rest stay quiet. While the window is open, each firing
    message action's state counts this message as its OPEN, so repeats follow the
    strategy from here."""
    out = []
    for a in actions:
        fire = _tells_changes(a) and (is_message_action(a.name) or a.name == ALERT_HISTORY_ACTION)
        if fire and active and is_message_action(a.name):
            states[a.name] = ActionState(episode=episode, open_sent=True, last_fired_ms=now_ms)
        decision = Decision.FIRE if fire else Decision.SUPPRESS
        out.append(ActionOutcome(a.name, decision.value))
    return out
