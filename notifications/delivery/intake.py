"""Intake: trigger records → PENDING delivery rows (persist before sending)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from notifications.delivery import policy
from notifications.models import Delivery, DeliveryStatus, RuleNotification
from rules.contract.errors import report_rule_error
from rules.models import TriggerRecord

log = logging.getLogger(__name__)

WEB_PREFIX = "web:"  # the engine's action name of a binding (RuleNotification.action_name)
FIRE = "fire"


def fired_bindings(data: dict) -> list[str]:
    """Names of the web-notification bindings a trigger's ``actions`` fire now.

    Suppressed and scheduled (delayed OPEN) actions are not sent: the engine already
    applied the repeat strategy and the delay (spec §3.6, §3.8); a delayed OPEN comes
    back later as its own trigger with reason ``delayed_open``.
    """
    names = []
    for action in data.get("actions") or ():
        name = action.get("action", "")
        if action.get("decision") == FIRE and name.startswith(WEB_PREFIX):
            names.append(name[len(WEB_PREFIX) :])
    return names


def create_deliveries(event_ids: Sequence[str]) -> set[str]:
    """Write one PENDING delivery per (trigger, fired binding) and return their order keys.

    Idempotent: a (event id, binding) pair already written is skipped by the unique
    constraint, so a replayed dispatch creates nothing twice. A fired action whose
    binding no longer exists is a Rule Error (the rule changed under the engine).
    """
    records = list(TriggerRecord.objects.filter(event_id__in=list(event_ids)).order_by("id"))
    wanted = {(r.rule, name) for r in records for name in fired_bindings(r.data)}
    if not wanted:
        return set()
    bindings = {
        (b.rule_name, b.name): b
        for b in RuleNotification.objects.filter(
            rule_name__in={rule for rule, _ in wanted}, name__in={name for _, name in wanted}
        )
    }
    now = timezone.now()
    rows: list[Delivery] = []
    for record in records:
        data = record.data
        for index, name in enumerate(fired_bindings(data)):
            binding = bindings.get((record.rule, name))
            if binding is None:
                report_rule_error(
                    record.rule,
                    f"web notification '{name}' not found",
                    window_key=record.window_key,
                )
                continue
            rows.append(
                Delivery(
                    event_id=record.event_id,
                    rule_name=record.rule,
                    binding_name=name,
                    endpoint_name=binding.endpoint_name,
                    window_key=record.window_key,
                    entity=data.get("entity") or "",
                    trigger=record.status,
                    repeat_count=int(data.get("repeat_count") or 0),
                    order_key=policy.order_key(
                        record.rule, record.window_key, binding.endpoint_name
                    ),
                    sequence=policy.sequence(record.pk, index),
                    status=DeliveryStatus.PENDING,
                    deadline=now + policy.deadline(),
                )
            )
    if not rows:
        return set()
    with transaction.atomic():
        Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    return {row.order_key for row in rows}
