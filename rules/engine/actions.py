"""Repeat strategies and Delay on OPEN as pure decisions (spec §3.6, §3.8).

Every action of a rule (a web-notification binding, logging, a derived command...) has
its own triggers, strategy, delay and per-window ``ActionState``. ``decide`` answers, for
one status change of one window, whether that action fires now, stays quiet, or gets a
delayed OPEN scheduled; ``decide_delayed_open`` answers when the countdown expires. Both
return a new state instead of mutating: the engine stores it with the window so it is
checkpointed with the window.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from rules.contract.triggers import Decision
from rules.engine.status import CANCEL, OPEN, REPEAT
from rules.engine.windows import UNIT_MS

ALL = "ALL"
COUNT = "COUNT"
INTERVAL = "INTERVAL"
NONE = "NONE"


@dataclass(frozen=True, slots=True)
class RepeatStrategy:
    """``ALL`` every REPEAT; ``COUNT`` when repeat_count % count == 0; ``INTERVAL`` when
    interval_ms passed since this action last fired in the episode; ``NONE`` never."""

    type: str = ALL
    count: int = 1
    interval_ms: int = 0

    @classmethod
    def parse(cls, type_: str, interval_count: int = 1, interval_unit: str = "MINUTE"):
        """From the XML strategy block (``<type>``, ``<intervalCount>``, ``<intervalUnit>``)."""
        t = (type_ or ALL).upper()
        if t == COUNT:
            return cls(COUNT, count=max(1, int(interval_count)))
        if t == INTERVAL:
            unit = (interval_unit or "MINUTE").lower()
            if unit not in UNIT_MS:
                raise ValueError(f"unknown interval unit {interval_unit!r}")
            return cls(INTERVAL, interval_ms=int(interval_count) * UNIT_MS[unit])
        if t in (ALL, NONE):
            return cls(t)
        raise ValueError(f"unknown repeat strategy {type_!r}")


@dataclass(frozen=True, slots=True)
class ActionSettings:
    """One action of a rule: which statuses trigger it, its repeat strategy, its delay.

    ``overrides_only``: the action runs only for status changes of an override row that
    names it ("Use in Overrides Only", spec §3.7).
    """

    name: str
    on_open: bool = True
    on_repeat: bool = True
    on_cancel: bool = True
    strategy: RepeatStrategy = RepeatStrategy()
    delay_ms: int = 0
    overrides_only: bool = False


@dataclass(frozen=True, slots=True)
class ActionState:
    """Per (window, action): the episode it refers to, whether its OPEN went out, when it
    last fired in the episode, and the episode a delayed OPEN is pending for."""

    episode: int | None = None
    open_sent: bool = False
    last_fired_ms: int | None = None
    pending_episode: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "episode": self.episode,
            "open_sent": self.open_sent,
            "last_fired_ms": self.last_fired_ms,
            "pending_episode": self.pending_episode,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ActionState:
        return cls(**data)


@dataclass(frozen=True, slots=True)
class Outcome:
    decision: Decision
    state: ActionState
    countdown_ms: int = 0


INITIAL = ActionState()


def decide(
    settings: ActionSettings,
    state: ActionState,
    status: str,
    repeat_count: int,
    now_ms: int,
    episode: int | None,
) -> Outcome:
    """The action's decision for a window that just became ``status`` (OPEN/REPEAT/CANCEL).

    ``episode`` identifies the alert episode (unique per OPEN of the window).
    * OPEN: fire if enabled; with a delay, schedule a check after ``delay_ms`` instead.
    * REPEAT: suppressed while this episode's delayed OPEN is pending; otherwise by strategy.
    * CANCEL: fire if enabled; with a delay, only if this episode's OPEN was sent [decision].
    """
    if status == OPEN:
        if not settings.on_open:
            return Outcome(Decision.SUPPRESS, ActionState(episode=episode))
        if settings.delay_ms > 0:
            return Outcome(
                Decision.SCHEDULE,
                ActionState(episode=episode, pending_episode=episode),
                countdown_ms=settings.delay_ms,
            )
        return Outcome(
            Decision.FIRE, ActionState(episode=episode, open_sent=True, last_fired_ms=now_ms)
        )
    if status == REPEAT:
        if state.episode != episode:
            # A window restored without its action state, or an action added mid-episode:
            # treat the OPEN as having gone out so repeats follow the strategy.
            state = ActionState(episode=episode, open_sent=True)
        if state.pending_episode == episode or not settings.on_repeat:
            return Outcome(Decision.SUPPRESS, state)
        strategy = settings.strategy
        kind = strategy.type
        if kind == ALL:
            fire = True
        elif kind == COUNT:
            fire = repeat_count % strategy.count == 0
        elif kind == INTERVAL:
            last = state.last_fired_ms
            fire = last is None or now_ms - last >= strategy.interval_ms
        else:
            fire = False
        if fire:
            # The constructor rather than dataclasses.replace: this runs on every REPEAT.
            fired = ActionState(state.episode, state.open_sent, now_ms, state.pending_episode)
            return Outcome(Decision.FIRE, fired)
        return Outcome(Decision.SUPPRESS, state)
    if status == CANCEL:
        done = replace(state, pending_episode=None)
        if not settings.on_cancel:
            return Outcome(Decision.SUPPRESS, done)
        if settings.delay_ms > 0 and not (state.episode == episode and state.open_sent):
            return Outcome(Decision.SUPPRESS, done)
        return Outcome(Decision.FIRE, done)
    raise ValueError(f"unknown status {status!r}")


def decide_delayed_open(
    state: ActionState, window_status: str, window_episode: int | None, episode: int, now_ms: int
) -> Outcome:
    """When a delayed-OPEN countdown for ``episode`` expires: fire the OPEN if the window is
    still OPEN/REPEAT in that same episode and the check is still pending, else drop it."""
    if state.pending_episode != episode:
        return Outcome(Decision.SUPPRESS, state)
    if window_status in (OPEN, REPEAT) and window_episode == episode:
        return Outcome(
            Decision.FIRE,
            replace(state, pending_episode=None, open_sent=True, last_fired_ms=now_ms),
        )
    return Outcome(Decision.SUPPRESS, replace(state, pending_episode=None))
