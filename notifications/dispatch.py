"""The one entry point through which the rules app hands trigger events to notifications.

Called after the alert store's transaction commits, with the ids of the new
``TriggerRecord`` rows. Web-notification delivery is built on top of this call; until
then no notification is configured and there is nothing to send.
"""

from collections.abc import Sequence


def dispatch_triggers(event_ids: Sequence[str]) -> None:
    """Hand new trigger events to notification delivery (none is configured yet)."""
    return None
