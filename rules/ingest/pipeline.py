"""What every ingest surface does with parsed events: registries, then the engine queues."""

from rules.ingest.events import Event
from rules.ingest.handoff import submit
from rules.ingest.registry import registry


def hand_off(events: list[Event], commands: int | None = None) -> int:
    """Register names, drop events of disabled entities/metrics, publish the rest.

    ``commands`` is how many network commands the events came from (self-monitoring);
    by default one per event.
    """
    from rules.runtime.monitoring import count_commands

    sent = submit(registry.observe(events))
    count_commands(len(events) if commands is None else commands)
    return sent
