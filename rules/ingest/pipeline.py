"""What every ingest surface does with parsed events: registries, then the engine queues."""

from rules.history.store import record as record_history
from rules.ingest.events import Event
from rules.ingest.handoff import submit
from rules.ingest.registry import registry


def hand_off(events: list[Event], commands: int | None = None) -> int:
    """Register names, drop events of disabled entities/metrics, publish the rest.

    ``commands`` is how many network commands the events came from (self-monitoring);
    by default one per event. Accepted samples are also queued for the chart
    history (a non-blocking append; see ``rules.history.store``).
    """
    from rules.runtime.monitoring import count_commands

    accepted = registry.observe(events)
    record_history(accepted)
    sent = submit(accepted)
    count_commands(len(events) if commands is None else commands)
    return sent
