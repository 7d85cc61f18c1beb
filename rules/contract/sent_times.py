"""When the notifications of stored triggers were sent: asked by the alert details page.

The notifications app registers a source when it is ready, so that the rules app shows
the last stage of an alert (each delivery sent) without importing notifications.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

# event ids → {event id: [(what was sent, e.g. "web: ops-room", Unix ms sent)]}
SentTimesSource = Callable[[Sequence[str]], dict[str, list[tuple[str, int]]]]

_sources: list[SentTimesSource] = []


def register_sent_times(source: SentTimesSource) -> None:
    """Ask ``source`` for the send times of trigger records (registering twice changes
    nothing: ``AppConfig.ready`` may run more than once in tests)."""
    if source not in _sources:
        _sources.append(source)


def sent_times(event_ids: Sequence[str]) -> dict[str, list[tuple[str, int]]]:
    """Every registered source's send times of ``event_ids``, oldest first per trigger."""
    found: dict[str, list[tuple[str, int]]] = {}
    for source in _sources:
        for event_id, sends in source(event_ids).items():
            found.setdefault(event_id, []).extend(sends)
    return {event_id: sorted(sends, key=lambda s: s[1]) for event_id, sends in found.items()}
