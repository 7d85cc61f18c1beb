"""One claimed delivery → rendered requests → transport → Notification Log rows.

Spec §7.3: resolve binding and endpoint; parameters = endpoint values overlaid by
the binding's values for the trigger (editable keys only, empty keeps the
endpoint's); render them (§5); send the text, then the details table as a
``.txt`` file, then screenshots (a hook: :mod:`notifications.delivery.screenshots`);
log every request (§7.6) through the delivery's :class:`Journal` — a row before
the request leaves, its outcome right after the answer. The caller
(:mod:`notifications.delivery.worker`) owns the delivery's state; this module
only reports a :class:`SendOutcome`.

Requests already answered 2xx in an earlier attempt of the same delivery are not
sent again on a retry, so a 5xx on the details file never duplicates the text;
requests that left without a recorded answer are looked for in the room first
(:mod:`notifications.delivery.recovery`). A REPEAT or CANCEL after an OPEN that
was never delivered carries a note saying so (:mod:`notifications.delivery.lost_open`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from django.utils import timezone

from notifications.bindings_model import RuleNotification
from notifications.delivery import monitoring, recovery
from notifications.delivery.journal import Journal
from notifications.delivery.lost_open import lost_open_reason, with_note
from notifications.delivery.screenshots import screenshot_requests
from notifications.delivery_model import AttemptStatus, Delivery, DeliveryAttempt, DeliveryStatus
from notifications.models import Endpoint
from notifications.rendering import (
    MESSAGE_FORMAT_LINK_STYLES,
    RenderInfo,
    details_file_name,
    details_table,
    render_message,
)
from notifications.transports import registry
from notifications.transports.base import Delivery as Sent
from notifications.transports.base import TransportError
from notifications.transports.hipchat import HipChatConfig, HipChatTransport
from rules.contract.errors import report_rule_error
from rules.contract.triggers import TriggerSnapshot
from rules.models import Entity, Metric, TriggerRecord

log = logging.getLogger(__name__)

RETRY = "RETRY"  # outcome only: the row goes back to PENDING
PREVIEW_CHARS = 500
TEXT_REQUEST, DETAILS_REQUEST = "notification", "file"


@dataclass
class SendOutcome:
    """What happened to one delivery attempt.

    ``status``: a final ``DeliveryStatus`` or :data:`RETRY`. ``retry_after_s``: the
    server's rate-limit reset for a 429, or how long to wait before asking whether
    a request arrived. ``failed_attempt``: the log row of the request that failed,
    so the worker can mark it ERROR when it gives up. ``failure`` False: a wait
    that is nobody's failure, which grows no back-off.
    """

    status: str
    error: str = ""
    retry_after_s: float | None = None
    failed_attempt: DeliveryAttempt | None = None
    preview: str = ""
    rule_errors: list[str] = field(default_factory=list)
    failure: bool = True


@dataclass
class Request:
    """One outgoing request of a send: its log name and how to send it."""

    name: str
    send: Callable[[], Sent]


def _record_rule_error(delivery: Delivery, error: str, expression: str = "") -> None:
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
    return slot if slot in ("open", "repeat", "cancel") else "open"


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


def repeat_interval_text(binding: RuleNotification) -> str:
    """``${repeat_interval}``: ``5 MINUTE`` for an INTERVAL strategy, else ``''``."""
    strategy = binding.repeat_strategy or {}
    if str(strategy.get("type", "")).upper() == "INTERVAL":
        return f"{strategy.get('count', 1)} {str(strategy.get('unit', 'MINUTE')).upper()}"
    return ""


def render_info(
    trigger: TriggerSnapshot, binding: RuleNotification, message_format: str
) -> RenderInfo:
    """Server settings, registry labels and the binding's settings for rendering."""
    entity = Entity.objects.filter(name=trigger.entity).first() if trigger.entity else None
    metric = Metric.objects.filter(name=trigger.metric).first()
    return RenderInfo(
        server_url=settings.SERVER_URL,
        zone=settings.TIME_ZONE,
        link_style="html" if message_format == "html" else "none",
        details_format=binding.details_format or "ascii",
        entity_label=(entity.label or None) if entity else None,
        entity_tags=dict(entity.tags or {}) if entity else {},
        metric_label=(metric.label or None) if metric else None,
        metric_tags=dict(metric.tags or {}) if metric else {},
        metric_fields=dict(metric.fields or {}) if metric else {},
        repeat_interval=repeat_interval_text(binding),
    )


def build_transport(endpoint: Endpoint, params: dict[str, str]) -> HipChatTransport:
    """The transport of ``endpoint`` configured with the rendered ``params``.

    Raises a permanent ``TransportError`` for a kind without a transport.
    """
    if endpoint.kind.upper() != "HIPCHAT":
        raise TransportError(f"endpoint type {endpoint.kind} cannot send yet", permanent=True)
    config = HipChatConfig.from_parameters(
        params, base_url=endpoint.base_url, http=endpoint.http_settings()
    )
    return HipChatTransport(config)


def _cancel(reason: str, preview: str = "") -> SendOutcome:
    return SendOutcome(DeliveryStatus.CANCELLED, error=reason, preview=preview)


def send_delivery(delivery: Delivery, worker: str) -> SendOutcome:
    """Render and send one delivery claimed by ``worker``; log each request; report.

    Never raises for a send problem: configuration and server errors become a
    FAILED or RETRY outcome with the error text; a disabled binding or endpoint a
    silent CANCELLED (spec §3.9: "a disabled endpoint ignores sends silently").
    Raises :class:`~notifications.delivery.journal.ClaimLost` when the delivery was
    taken back from ``worker`` meanwhile.
    """
    record = TriggerRecord.objects.filter(event_id=delivery.event_id).first()
    if record is None:
        return SendOutcome(DeliveryStatus.FAILED, error="trigger record no longer exists")
    trigger = record.snapshot()
    binding = RuleNotification.objects.filter(
        rule_name=delivery.rule_name, name=delivery.binding_name
    ).first()
    if binding is None or not binding.enabled:
        return _cancel("web notification disabled or removed: send ignored")
    endpoint = Endpoint.objects.filter(name=delivery.endpoint_name).first()
    if endpoint is None:
        error = f"endpoint '{delivery.endpoint_name}' not found"
        _record_rule_error(delivery, error)
        return SendOutcome(DeliveryStatus.CANCELLED, error=error, rule_errors=[error])
    if not endpoint.enabled:
        return _cancel("endpoint disabled: send ignored")
    try:
        kind = registry.get_kind(endpoint.kind)
    except KeyError:
        kind = None
    if kind is None or not kind.sendable:
        return _cancel(f"endpoint type {endpoint.kind} does not send")
    journal = Journal(delivery, endpoint.kind, worker, log_response=endpoint.log_response)

    slot = trigger_slot(binding, delivery.trigger)
    params = resolve_parameters(endpoint, binding, slot)
    message_format = (params.get("message_format") or "text").strip().lower()
    if message_format not in MESSAGE_FORMAT_LINK_STYLES:
        error = f"unknown message format {message_format!r}"
        journal.note(AttemptStatus.ERROR, error, TEXT_REQUEST)
        return SendOutcome(DeliveryStatus.FAILED, error=error)
    info = render_info(trigger, binding, message_format)
    rule_errors: list[str] = []

    def render(template: str, fmt: str) -> tuple[str, bool]:
        result = render_message(template, trigger, info, now_ms=trigger.now_ms, message_format=fmt)
        for problem in result.errors:
            _record_rule_error(delivery, problem.message, problem.expression)
            rule_errors.append(problem.message)
        return result.text, result.cancelled

    text, cancelled = render(params.get("message", ""), message_format)
    secrets = set(endpoint.secret_keys())
    for key in ("room", "from"):  # placeholders work in any parameter (spec §5.1)
        if key not in secrets and ("${" in params.get(key, "") or "@" in params.get(key, "")):
            params[key], _ = render(params[key], "text")
    if cancelled or not text:
        reason = "cancelAction()" if cancelled else "empty message text"
        journal.note(AttemptStatus.CANCELLED, reason, TEXT_REQUEST)
        outcome = _cancel(reason, text[:PREVIEW_CHARS])
        outcome.rule_errors = rule_errors
        return outcome
    lost_open = lost_open_reason(delivery)
    if lost_open is not None:
        text = with_note(text, lost_open, message_format)
    preview = text[:PREVIEW_CHARS]

    try:
        transport = build_transport(endpoint, params)
    except TransportError as exc:
        attempt = journal.note(AttemptStatus.ERROR, exc.message, TEXT_REQUEST)
        log.error("notification %s for rule %s: %s", delivery.pk, delivery.rule_name, exc.message)
        return SendOutcome(DeliveryStatus.FAILED, exc.message, None, attempt, preview, rule_errors)
    transport.before_send = journal.before_send

    requests = [
        Request(
            TEXT_REQUEST,
            lambda: transport.send_notification(
                text,
                severity=trigger.severity,
                message_format=message_format,
                notify=transport.config.notify,
                from_=transport.config.from_,
            ),
        )
    ]
    if getattr(binding, f"{slot}_details"):
        try:
            table = details_table(trigger, info, binding.details_format or "ascii")
        except Exception as exc:  # an unknown format is the rule's error, not the send's
            _record_rule_error(delivery, f"details table: {exc}")
            rule_errors.append(str(exc))
        else:
            name = details_file_name(
                trigger.rule, trigger.entity, delivery.trigger, trigger.now_ms, settings.TIME_ZONE
            )
            requests.append(
                Request(
                    DETAILS_REQUEST,
                    lambda: transport.share_file(name, table.encode("utf-8"), "text/plain"),
                )
            )
    if getattr(binding, f"{slot}_screenshot"):
        shots = screenshot_requests(
            trigger, binding, info, delivery=delivery, params=params,
            message_format=message_format, endpoint_kind=endpoint.kind,
        )  # fmt: skip
        requests.extend(Request(s.name, partial(s.send, transport)) for s in shots)

    earlier = journal.earlier_requests()
    unanswered = [a for a in earlier if a.status == AttemptStatus.SENDING]
    if unanswered:
        window = recovery.answer_window(transport.client.settings)
        try:
            wait = recovery.resolve(journal, unanswered, transport, window, timezone.now())
        except TransportError as exc:
            error = f"cannot tell yet whether an earlier request arrived: {exc.message}"
            return SendOutcome(RETRY, error, exc.retry_after_s, None, preview, rule_errors)
        if wait is not None:
            error = "waiting to tell whether an earlier request arrived"
            return SendOutcome(RETRY, error, wait, None, preview, rule_errors, failure=False)
    done = {a.request for a in earlier if a.status == AttemptStatus.OK}
    for request in requests:
        if request.name in done:
            continue
        journal.expect(request.name)
        try:
            sent = request.send()
        except TransportError as exc:
            attempt = journal.failed(exc)
            if exc.status is not None or not exc.permanent:
                monitoring.count_send()
            permanent = exc.permanent
            log.error(
                "notification %s (%s, rule %s) %s: %s",
                delivery.pk,
                request.name,
                delivery.rule_name,
                "failed" if permanent else "will be retried",
                exc.message,
            )
            return SendOutcome(
                DeliveryStatus.FAILED if permanent else RETRY,
                exc.message,
                exc.retry_after_s,
                attempt,
                preview,
                rule_errors,
            )
        journal.answered(sent)
        monitoring.count_send()
    return SendOutcome(DeliveryStatus.DELIVERED, preview=preview, rule_errors=rule_errors)
