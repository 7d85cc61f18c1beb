"""When the notifications of trigger records were sent: the last stage on an alert's page.

Registered with :mod:`rules.contract.sent_times` when the app is ready. A DELIVERED
delivery's ``finished`` is the time its answer came back (the record step).
"""

from __future__ import annotations

from collections.abc import Sequence

from notifications.models import Delivery, DeliveryStatus


def delivered_times(event_ids: Sequence[str]) -> dict[str, list[tuple[str, int]]]:
    """{event id: [("web: <binding>" or "email: <binding>", Unix ms sent)]}."""
    rows = Delivery.objects.filter(
        event_id__in=list(event_ids), status=DeliveryStatus.DELIVERED
    ).values_list("event_id", "channel", "binding_name", "finished")
    found: dict[str, list[tuple[str, int]]] = {}
    for event_id, channel, binding, finished in rows:
        if finished is None:
            continue
        ms = round(finished.timestamp() * 1000)
        found.setdefault(event_id, []).append((f"{channel}: {binding}", ms))
    return found
