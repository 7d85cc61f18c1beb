"""What every ingest surface does with parsed events: registries, then the engine queues."""

from rules.ingest.events import Event
from rules.ingest.handoff import submit
from rules.ingest.registry import registry


def hand_off(events: list[Event]) -> int:
    """Register names, drop events of disabled entities/metrics, publish the rest."""
    return submit(registry.observe(events))
