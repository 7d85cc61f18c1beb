"""One window of one rule as the engine holds it: its key, samples and state."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rules.engine.grouping import WindowKey, display_key, key_to_json
from rules.engine.state import WindowState
from rules.engine.windows import CountWindow, TimeWindow

if TYPE_CHECKING:
    from rules.engine.overrides import OverrideOutcome


class WindowRuntime:
    """One window of one rule: its key, samples and state."""

    __slots__ = ("_display", "_key_json", "key", "override", "state", "window")

    def __init__(self, key: WindowKey, window: CountWindow | TimeWindow) -> None:
        self.key = key
        self.window = window
        self.state = WindowState()
        # Computed on first use and kept: every trigger and rule error of the window
        # carries them, but most windows never trigger (creation is on the hot path).
        self._display: str | None = None
        self._key_json: list[Any] | None = None
        # The override row's outcome of the last evaluation (rules with an overrides
        # table): its severity, threshold and routing go into the triggers.
        self.override: OverrideOutcome | None = None

    @property
    def display(self) -> str:
        """``display_key`` of the window's key."""
        text = self._display
        if text is None:
            text = self._display = display_key(self.key)
        return text

    @property
    def key_json(self) -> list[Any]:
        """``key_to_json`` of the window's key."""
        data = self._key_json
        if data is None:
            data = self._key_json = key_to_json(self.key)
        return data


def local_key(entity: str | None, items: tuple[tuple[str, str], ...]) -> Any:
    """The key of a window inside its rule. Data type and metric are the same for every
    window of a rule, so windows are found by entity (and tags, when there are any)
    without building the full key tuple for every sample."""
    return (entity, items) if items else entity
