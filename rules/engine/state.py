"""Per-window state beside the samples: status, date fields, command fields (spec §3.4-3.5, §5.2).

``WindowState`` is a plain mutable object owned by the engine. It keeps a reference to
the last accepted ``Event`` instead of copying its fields on every sample (events are not
mutated after ingest), and serialises to plain JSON-able data for checkpoints.
"""

from __future__ import annotations

import math
from typing import Any, Generic, TypeVar, overload

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


T = TypeVar("T")


class _Alerting:
    """The fields of a window that only a status change writes (see ``WindowState``)."""

    __slots__ = (
        "_actions",
        "before_status",
        "cancel_time",
        "change_time",
        "episode",
        "flap",
        "open_time",
        "open_value",
        "repeat_count",
        "repeat_time",
    )

    def __init__(self) -> None:
        self.before_status = CANCEL
        self.repeat_count = 0
        self.episode: int | None = None
        self.open_time: int | None = None
        self.repeat_time: int | None = None
        self.cancel_time: int | None = None
        self.change_time: int | None = None
        self.open_value = math.nan
        self._actions: dict[str, ActionState] | None = None
        self.flap: FlapState | None = None


class _AlertingField(Generic[T]):
    """A ``WindowState`` attribute kept in its ``_Alerting``, made on the first write
    (reads before it give the default)."""

    def __init__(self, default: T) -> None:
        self.default = default
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> _AlertingField[T]: ...

    @overload
    def __get__(self, obj: WindowState, owner: type | None = None) -> T: ...

    def __get__(self, obj: WindowState | None, owner: type | None = None) -> Any:
        if obj is None:
            return self
        fields = obj._alerting
        return self.default if fields is None else getattr(fields, self.name)

    def __set__(self, obj: WindowState, value: T) -> None:
        fields = obj._alerting
        if fields is None:
            fields = obj._alerting = _Alerting()
        setattr(fields, self.name, value)


# What a new window holds in each position of ``WindowState.to_list``.
_LIST_DEFAULTS: list[Any] = [CANCEL, None, None, None, None, False, None, CANCEL, 0, None,
                             None, None, None, None, None, None, None]  # fmt: skip
# Its first fields, which every accepted sample writes; the rest are ``_Alerting``'s.
_EVERY_SAMPLE = 7


class WindowState:
    """Status and the window fields of one window.

    Times are Unix ms (server clock for ``*_time`` date fields, command clock for
    ``command_time``); None means "never" and renders as ''.

    The fields only a status change writes live in an ``_Alerting`` made on the first
    such write: most windows never trigger, and a partition may hold a million.
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
        "_alerting",
    )

    before_status = _AlertingField(CANCEL)
    repeat_count = _AlertingField(0)
    episode = _AlertingField[int | None](None)  # unique id of the current/last episode
    open_time = _AlertingField[int | None](None)
    repeat_time = _AlertingField[int | None](None)
    cancel_time = _AlertingField[int | None](None)
    change_time = _AlertingField[int | None](None)
    open_value = _AlertingField(math.nan)
    _actions = _AlertingField[dict[str, ActionState] | None](None)
    flap = _AlertingField[FlapState | None](None)  # a rule with flap damping, once cancelled

    def __init__(self) -> None:
        self.status = CANCEL
        self._alerting: _Alerting | None = None
        self.add_time: int | None = None
        self.previous_add_time: int | None = None
        self.remove_time: int | None = None
        self.update_time: int | None = None
        self.event: Event | None = None  # the last accepted command
        self.command_time: int | None = None
        self.is_exiting = False

    @property
    def actions(self) -> dict[str, ActionState]:
        """Each action's state in this window (rules.engine.actions), by action name
        (made on first use: most windows never trigger)."""
        found = self._actions
        if found is None:
            found = self._actions = {}
        return found

    @actions.setter
    def actions(self, value: dict[str, ActionState]) -> None:
        if value or self._alerting is not None:
            self._actions = value or None

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
            actions={name: st.to_dict() for name, st in (self._actions or {}).items()},
        )
        if self.flap is not None:
            data["flap"] = self.flap.to_dict()
        return data

    def to_list(self) -> list[Any]:
        """``to_dict`` without the field names and the event (a window's checkpoint
        record, where a million windows make every byte count), the fields set on every
        sample first and trailing defaults left out; ``from_list`` reads it back."""
        actions = self._actions
        data = [
            self.status, self.add_time, self.previous_add_time, self.update_time,
            self.command_time, self.is_exiting, self.remove_time,
            self.before_status, self.repeat_count, self.episode,
            self.open_time, self.repeat_time, self.cancel_time, self.change_time,
            None if math.isnan(self.open_value) else self.open_value,
            {name: st.to_dict() for name, st in actions.items()} if actions else None,
            self.flap.to_dict() if self.flap is not None else None,
        ]  # fmt: skip
        n = len(data)
        while n > 1 and data[n - 1] == _LIST_DEFAULTS[n - 1]:
            n -= 1
        del data[n:]
        return data

    @classmethod
    def from_list(cls, data: list[Any], event: Event | None) -> WindowState:
        """The state ``to_list`` gave, with ``event`` as the last accepted command."""
        st = cls()
        full = data + _LIST_DEFAULTS[len(data) :]
        (
            st.status, st.add_time, st.previous_add_time, st.update_time,
            st.command_time, st.is_exiting, st.remove_time,
        ) = full[:_EVERY_SAMPLE]  # fmt: skip
        st.event = event
        if len(data) > _EVERY_SAMPLE:  # the window has triggered
            (
                st.before_status, st.repeat_count, st.episode,
                st.open_time, st.repeat_time, st.cancel_time, st.change_time,
                open_value, actions, flap,
            ) = full[_EVERY_SAMPLE:]  # fmt: skip
            st.open_value = math.nan if open_value is None else open_value
            if actions:
                st._actions = {k: ActionState.from_dict(v) for k, v in actions.items()}
            if flap is not None:
                st.flap = FlapState.from_dict(flap)
        return st

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
        if flap is not None:
            st.flap = FlapState.from_dict(flap)
        return st
