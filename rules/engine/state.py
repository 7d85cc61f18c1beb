"""Per-window state beside the samples: status, date fields, command fields (spec §3.4-3.5, §5.2).

``WindowState`` is a plain mutable object owned by the engine. It keeps a reference to
the last accepted ``Event`` instead of copying its fields on every sample (events are not
mutated after ingest), and serialises to plain JSON-able data for checkpoints.
"""

from __future__ import annotations

import math
from typing import Any

from rules.engine.actions import ActionState
from rules.engine.flapping import FlapState
from rules.engine.status import CANCEL, OPEN, REPEAT, next_status
from rules.events import Event

# The window fields that hold times (epoch ms); expressions read them as dates.
WINDOW_DATE_FIELDS = (
    "open_time",
    "repeat_time",
    "cancel_time",
    "change_time",
    "add_time",
    "previous_add_time",
    "remove_time",
    "update_time",
)


class WindowState:
    """Status and the window fields of one window.

    Times are Unix ms (server clock for ``*_time`` date fields, command clock for
    ``command_time``); None means "never" and renders as ''.
    """

    # Written on every accepted sample first, so that they share the object's first
    # cache lines (with thousands of windows, each sample meets a cold window state).
    __slots__ = (  # noqa: RUF023
        "status",
        "event",
        "add_time",
        "previous_add_time",
        "update_time",
        "command_time",
        "is_exiting",
        "remove_time",
        "actions",
        "before_status",
        "cancel_time",
        "change_time",
        "episode",
        "open_time",
        "open_value",
        "repeat_count",
        "repeat_time",
        "flap",
    )

    def __init__(self) -> None:
        self.status = CANCEL
        self.before_status = CANCEL
        self.repeat_count = 0
        self.episode: int | None = None  # unique id of the current/last alert episode
        self.open_time: int | None = None
        self.repeat_time: int | None = None
        self.cancel_time: int | None = None
        self.change_time: int | None = None
        self.open_value = math.nan
        self.add_time: int | None = None
        self.previous_add_time: int | None = None
        self.remove_time: int | None = None
        self.update_time: int | None = None
        self.event: Event | None = None  # the last accepted command
        self.command_time: int | None = None
        self.is_exiting = False
        self.actions: dict[str, ActionState] = {}
        self.flap: FlapState | None = None  # a rule with flap damping, once it cancelled

    def record_add(self, event: Event, now_ms: int) -> None:
        """Command fields and add/update times for an accepted insert."""
        self.event = event
        self.command_time = event.time_ms
        self.is_exiting = False
        self.previous_add_time = self.add_time
        self.add_time = now_ms
        self.update_time = now_ms

    def record_remove(self, sample_time_ms: int, now_ms: int) -> None:
        """Exit of an expired sample: command_time = its time rounded down to seconds."""
        self.command_time = sample_time_ms - sample_time_ms % 1000
        self.is_exiting = True
        self.remove_time = now_ms
        self.update_time = now_ms

    def apply(self, condition: bool, now_ms: int) -> str | None:
        """Apply a boolean condition per the §3.5 table; returns the new status when it
        triggers (OPEN/REPEAT/CANCEL) or None for CANCEL→CANCEL."""
        before = self.status
        self.before_status = before
        after = next_status(before, condition)
        if after == CANCEL:
            if before == CANCEL:
                return None
            self.status = CANCEL
            self.cancel_time = now_ms
            self.change_time = now_ms
            return CANCEL
        self.status = after
        if after == OPEN:
            self.open_time = now_ms
            self.repeat_time = now_ms
            self.change_time = now_ms
            self.repeat_count = 0
            ev = self.event
            self.open_value = ev.value if ev is not None else math.nan
            # Unique even when two episodes open within one millisecond.
            prev = self.episode
            self.episode = now_ms if prev is None or now_ms > prev else prev + 1
            return OPEN
        self.repeat_count += 1
        self.repeat_time = now_ms
        return REPEAT

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (NaN → None, the event in its wire form)."""
        data: dict[str, Any] = {name: getattr(self, name) for name in WINDOW_DATE_FIELDS}
        data.update(
            status=self.status,
            before_status=self.before_status,
            repeat_count=self.repeat_count,
            episode=self.episode,
            open_value=None if math.isnan(self.open_value) else self.open_value,
            event=self.event.to_wire() if self.event is not None else None,
            command_time=self.command_time,
            is_exiting=self.is_exiting,
            actions={name: st.to_dict() for name, st in self.actions.items()},
        )
        if self.flap is not None:
            data["flap"] = self.flap.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WindowState:
        st = cls()
        for name in WINDOW_DATE_FIELDS:
            setattr(st, name, data.get(name))
        st.status = data["status"]
        st.before_status = data.get("before_status", CANCEL)
        st.repeat_count = data.get("repeat_count", 0)
        st.episode = data.get("episode")
        ov = data.get("open_value")
        st.open_value = math.nan if ov is None else ov
        ev = data.get("event")
        st.event = Event.from_wire(ev) if ev is not None else None
        st.command_time = data.get("command_time")
        st.is_exiting = data.get("is_exiting", False)
        st.actions = {k: ActionState.from_dict(v) for k, v in data.get("actions", {}).items()}
        flap = data.get("flap")
        st.flap = FlapState.from_dict(flap) if flap is not None else None
        return st
