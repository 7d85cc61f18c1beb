"""Message previews: what each binding would have sent for triggers that were never
stored (a backtest). Rules decides which bindings fire (the trigger's actions); the
notifications app renders their messages and registers itself as the previewer when
it is ready, so rules never imports it.

A previewer reads and writes nothing beyond its arguments: no delivery row, no rule
error, no screenshot, no network query; ``store_reads`` is what templates that read
the stores use (the backtest's sandbox, whose locks stay in memory).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rules.contract.triggers import TriggerSnapshot


@dataclass(frozen=True)
class MessagePreview:
    """One binding's message for one trigger. ``trigger``: its index in the triggers
    given; ``action``: the engine's action name (``web:<binding>``, ``email:<binding>``);
    ``endpoint``: where it goes (endpoint name, or the recipients); ``subject``: an
    email's; ``details``: the details table when the binding attaches it;
    ``screenshot``: a chart would be attached; ``skipped``: why nothing would be sent
    ("" when it would); ``errors``: placeholder errors met while rendering."""

    trigger: int
    action: str
    status: str
    endpoint: str
    text: str
    message_format: str = "text"
    subject: str = ""
    details: str = ""
    screenshot: bool = False
    skipped: str = ""
    errors: tuple[str, ...] = field(default_factory=tuple)


MessagePreviewer = Callable[[Sequence[TriggerSnapshot], Any], list[MessagePreview]]

_previewers: list[MessagePreviewer] = []


def register_message_previewer(previewer: MessagePreviewer) -> None:
    """Use ``previewer(triggers, store_reads)`` for previews; registering it again
    changes nothing (``AppConfig.ready`` may run more than once in tests)."""
    if previewer not in _previewers:
        _previewers.append(previewer)


def preview_messages(triggers: Sequence[TriggerSnapshot], store_reads: Any) -> list[MessagePreview]:
    """The messages every registered previewer renders for ``triggers``, in order of
    trigger; none when no previewer is registered."""
    found = [p for previewer in _previewers for p in previewer(triggers, store_reads)]
    return sorted(found, key=lambda p: p.trigger)
