"""Lookup, the first stage of a send: a claimed delivery → its :class:`Job`.

Spec §7.3 steps 1 and 2: the trigger snapshot, the binding and the endpoint (by
name, as rules.xml has them), and the parameters this trigger sends with: the
endpoint's values overlaid by the binding's values for the trigger, on the keys the
endpoint lets rules edit; an empty binding value keeps the endpoint's. A disabled or
removed binding or endpoint ends the attempt as CANCELLED (§3.9: "a disabled
endpoint ignores sends silently"); an endpoint that does not exist is also the
rule's error.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from notifications.delivery.outcome import SendOutcome, cancelled
from notifications.models import Delivery, DeliveryStatus, Endpoint, RuleNotification
from rules.contract.errors import report_rule_error
from rules.contract.triggers import FLAP_ENDED, TriggerSnapshot
from rules.models import Alert, TriggerRecord

SLOTS = ("open", "repeat", "cancel")


@dataclass(frozen=True)
class Job:
    """A claimed delivery with everything needed to render and send it. ``slot``:
    whose settings the trigger uses (``open``, ``repeat``, ``cancel``)."""

    delivery: Delivery
    trigger: TriggerSnapshot
    binding: RuleNotification
    endpoint: Endpoint
    slot: str
    parameters: dict[str, str]


def rule_error(delivery: Delivery, error: str, expression: str = "") -> None:
    """Record ``error`` on the Rule Errors page of the delivery's rule."""
    report_rule_error(
        delivery.rule_name, error, expression=expression, window_key=delivery.window_key
    )


def trigger_slot(binding: RuleNotification, status: str) -> str:
    """``open``/``repeat``/``cancel``: whose parameters a trigger uses (as-open → open)."""
    slot = status.lower()
    if (slot == "repeat" and binding.repeat_as_open) or (
        slot == "cancel" and binding.cancel_as_open
    ):
        return "open"
    return slot if slot in SLOTS else "open"


def resolve_parameters(endpoint: Endpoint, binding: RuleNotification, slot: str) -> dict[str, str]:
    """Endpoint values overlaid by the binding's ``slot`` values for editable keys.

    An empty binding value keeps the endpoint's (spec §7.3 step 2); values for keys
    the endpoint does not let rules edit are ignored.
    """
    values = endpoint.parameter_values()
    overrides = getattr(binding, f"{slot}_params") or {}
    for key in endpoint.editable_keys():
        value = overrides.get(key)
        if value is not None and str(value) != "":
            values[key] = str(value)
    return values


def silenced_by_acknowledgement(trigger: TriggerSnapshot) -> bool:
    """A REPEAT of an alert episode someone acknowledged (Open Alerts, the API or a
    message's acknowledge link) is not sent, unless ``ACK_SILENCES_REPEATS`` is off."""
    if not settings.ACK_SILENCES_REPEATS or trigger.status != "REPEAT":
        return False
    if trigger.flapping == FLAP_ENDED:
        return False  # the one "stable again" message is not a repeat
    return Alert.objects.filter(
        rule=trigger.rule, window_key=trigger.window_key, episode=trigger.episode or 0,
        acknowledged=True,
    ).exists()  # fmt: skip


def _sends(endpoint: Endpoint) -> bool:
    try:
        return endpoint.kind_info.sendable
    except KeyError:
        return False


def lookup(delivery: Delivery) -> Job | SendOutcome:
    """The job of ``delivery``, or the outcome that ends its attempt here."""
    record = TriggerRecord.objects.filter(event_id=delivery.event_id).first()
    if record is None:
        return SendOutcome(DeliveryStatus.FAILED, error="trigger record no longer exists")
    trigger = record.snapshot()
    if silenced_by_acknowledgement(trigger):
        return cancelled("alert acknowledged: repeat not sent")
    binding = RuleNotification.objects.filter(
        rule_name=delivery.rule_name, name=delivery.binding_name
    ).first()
    if binding is None or not binding.enabled:
        return cancelled("web notification disabled or removed: send ignored")
    endpoint = Endpoint.objects.filter(name=delivery.endpoint_name).first()
    if endpoint is None:
        error = f"endpoint '{delivery.endpoint_name}' not found"
        rule_error(delivery, error)
        return cancelled(error, rule_errors=[error])
    if not endpoint.enabled:
        return cancelled("endpoint disabled: send ignored")
    if not _sends(endpoint):
        return cancelled(f"endpoint type {endpoint.kind} does not send")
    slot = trigger_slot(binding, delivery.trigger)
    parameters = resolve_parameters(endpoint, binding, slot)
    return Job(delivery, trigger, binding, endpoint, slot, parameters)
