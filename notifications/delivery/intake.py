"""Intake: trigger records → PENDING delivery rows (persist before sending), one per
fired web-notification binding and one per fired email binding."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from notifications.delivery import policy
from notifications.models import Channel, Delivery, DeliveryStatus, RuleNotification
from rules.contract.errors import report_rule_error
from rules.contract.triggers import EMAIL_ACTION_PREFIX, WEB_ACTION_PREFIX, TriggerSnapshot
from rules.models import TriggerRecord

log = logging.getLogger(__name__)

#: The endpoint name email deliveries carry (the Notification Log's endpoint column).
MAIL_ENDPOINT = "email"
#: What email deliveries are ordered by besides rule and window: the mail client. No
#: endpoint name holds a NUL, so no web endpoint shares an email order key.
MAIL_ORDER = "\x00email"


def fired_bindings(trigger: TriggerSnapshot) -> list[str]:
    """Names of the web-notification bindings ``trigger`` fires now.

    Suppressed and scheduled (delayed OPEN) actions are not sent: the engine already
    applied the repeat strategy and the delay (spec §3.6, §3.8); a delayed OPEN comes
    back later as its own trigger with reason ``delayed_open``.
    """
    return _fired(trigger, WEB_ACTION_PREFIX)


def fired_emails(trigger: TriggerSnapshot) -> list[str]:
    """Names of the email bindings ``trigger`` fires now (as :func:`fired_bindings`)."""
    return _fired(trigger, EMAIL_ACTION_PREFIX)


def _fired(trigger: TriggerSnapshot, prefix: str) -> list[str]:
    return [name[len(prefix) :] for name in trigger.fired() if name.startswith(prefix)]


def email_deliveries(fired: list[tuple[TriggerRecord, TriggerSnapshot]]) -> list[Delivery]:
    """One PENDING delivery per (trigger, fired email binding), ordered per rule window.

    Whether the binding still exists is decided when it is sent (the rule is read
    then), which keeps this step, run in the engine's transaction, to no query.
    """
    now = timezone.now()
    return [
        Delivery(
            event_id=record.event_id,
            channel=Channel.EMAIL,
            rule_name=record.rule,
            binding_name=name,
            endpoint_name=MAIL_ENDPOINT,
            window_key=record.window_key,
            entity=trigger.entity or "",
            trigger=record.status,
            repeat_count=trigger.repeat_count,
            order_key=policy.order_key(record.rule, record.window_key, MAIL_ORDER),
            sequence=policy.sequence(record.pk, index),
            status=DeliveryStatus.PENDING,
            deadline=now + policy.deadline(),
        )
        for record, trigger in fired
        for index, name in enumerate(fired_emails(trigger))
    ]


def create_deliveries(event_ids: Sequence[str]) -> dict[str, bool]:
    """Write one PENDING delivery per (trigger, fired web or email binding) and return
    their order keys, each with whether a trigger of an instantAction rule is among its
    rows.

    Idempotent: a (event id, channel, binding) already written is skipped by the unique
    constraint, so a replayed dispatch creates nothing twice. A fired action whose
    binding no longer exists is a Rule Error (the rule changed under the engine).
    """
    records = TriggerRecord.objects.filter(event_id__in=list(event_ids)).order_by("id")
    fired = [(record, record.snapshot()) for record in records]
    rows = email_deliveries(fired)
    wanted = {(r.rule, name) for r, trigger in fired for name in fired_bindings(trigger)}
    bindings = {
        (b.rule_name, b.name): b
        for b in RuleNotification.objects.filter(
            rule_name__in={rule for rule, _ in wanted}, name__in={name for _, name in wanted}
        )
    }
    now = timezone.now()
    for record, trigger in fired:
        for index, name in enumerate(fired_bindings(trigger)):
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
                    entity=trigger.entity or "",
                    trigger=record.status,
                    repeat_count=trigger.repeat_count,
                    order_key=policy.order_key(
                        record.rule, record.window_key, binding.endpoint_name
                    ),
                    sequence=policy.sequence(record.pk, index),
                    status=DeliveryStatus.PENDING,
                    deadline=now + policy.deadline(),
                )
            )
    if not rows:
        return {}
    with transaction.atomic():
        Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    instant = {record.event_id for record, trigger in fired if trigger.instant}
    keys = dict.fromkeys((row.order_key for row in rows), False)
    for row in rows:
        if row.event_id in instant:
            keys[row.order_key] = True
    return keys
