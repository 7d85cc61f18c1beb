"""Render, the second stage of a send: a :class:`Job` → the :class:`Message` it sends.

Spec §5, §6 and §7.3 steps 3 to 5: the text in the endpoint's message format, with
placeholders in the other parameters rendered too (§5.1: they work in any
parameter, secrets excepted); the details table as a ``.txt`` file when the binding
attaches it; the charts when it attaches a screenshot. Placeholder errors go to the
Rule Errors page and never stop a send; ``cancelAction()`` or an empty text end the
attempt as CANCELLED. A REPEAT or CANCEL after an OPEN that never arrived carries a
note saying so (:mod:`notifications.delivery.lost_open`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings

from notifications.channels.base import Attachment, Transport
from notifications.delivery.journal import Journal
from notifications.delivery.lookup import Job, rule_error
from notifications.delivery.lost_open import delivery_note, with_note
from notifications.delivery.outcome import SendOutcome, cancelled
from notifications.delivery.web_queries import EndpointQueries
from notifications.models import AttemptStatus, Delivery, DeliveryStatus, RuleNotification
from notifications.rendering import (
    MESSAGE_FORMAT_LINK_STYLES,
    PortalRequest,
    RenderInfo,
    RenderResult,
    details_file_name,
    details_table,
    history_alert_text,
    render_message,
)
from notifications.rendering.flapping import STABLE_PREFIX, flapping_template
from notifications.rendering.scope import TriggerScope
from notifications.rendering.template import OverlayScope
from notifications.rendering.template import render as render_template
from notifications.rendering.window_fields import window_fields
from notifications.screenshots.charts import Chart, requested_charts, trigger_charts
from rules.contract.bindings import DEFAULT_DETAILS_FORMAT, DETAILS_FORMAT_KEY
from rules.contract.store_reads import store_reads
from rules.contract.stores import command_tags, shared_stores
from rules.contract.triggers import FLAP_ENDED, FLAP_STARTED, TriggerSnapshot
from rules.models import Entity, Metric, Rule

PREVIEW_CHARS = 500
TEXT_REQUEST = "notification"  # the log name of a send's text request
TRUE = {"true", "1", "yes", "on"}


@dataclass
class Message:
    """What one delivery says, ready for its channel: the text, the endpoint's
    ``parameters`` for this send, the details file and the charts to attach
    (``portal_links``: each chart followed by a message linking the rule and portal)."""

    text: str
    message_format: str
    parameters: dict[str, str]
    details: Attachment | None
    charts: list[Chart]
    portal_links: bool
    rule_errors: list[str]

    @property
    def preview(self) -> str:
        return self.text[:PREVIEW_CHARS]


def repeat_interval_text(strategy: Mapping[str, Any] | None) -> str:
    """``${repeat_interval}``: ``5 MINUTE`` for an INTERVAL strategy, else ``''``."""
    strategy = strategy or {}
    if str(strategy.get("type", "")).upper() == "INTERVAL":
        return f"{strategy.get('count', 1)} {str(strategy.get('unit', 'MINUTE')).upper()}"
    return ""


def details_format(binding: RuleNotification, parameters: dict[str, str]) -> str:
    """The details table's format: the binding's when it chose one, else the endpoint's
    ``details_table_format`` (spec §2.3: "format = parameter details_table_format if the
    type has it"), else ascii."""
    chosen = binding.details_format or DEFAULT_DETAILS_FORMAT
    if chosen != DEFAULT_DETAILS_FORMAT:
        return chosen
    return (parameters.get(DETAILS_FORMAT_KEY) or "").strip().lower() or chosen


def render_info(
    trigger: TriggerSnapshot,
    *,
    message_format: str,
    details_format: str,
    repeat_strategy: Mapping[str, Any] | None,
    sandbox_reads: Any = None,
) -> RenderInfo:
    """Server settings, registry labels, stored data and the binding's settings.

    ``sandbox_reads``: a preview's ``StoreReads`` (rules.contract.previews), used instead
    of the process's, with web queries off: a preview sends nothing anywhere."""
    entity = Entity.objects.filter(name=trigger.entity).first() if trigger.entity else None
    metric = Metric.objects.filter(name=trigger.metric).first()
    info = RenderInfo(
        server_url=settings.SERVER_URL,
        zone=settings.TIME_ZONE,
        link_style="html" if message_format == "html" else "none",
        details_format=details_format or DEFAULT_DETAILS_FORMAT,
        entity_label=(entity.label or None) if entity else None,
        entity_tags=dict(entity.tags or {}) if entity else {},
        metric_label=(metric.label or None) if metric else None,
        metric_tags=dict(metric.tags or {}) if metric else {},
        metric_fields=dict(metric.fields or {}) if metric else {},
        repeat_interval=repeat_interval_text(repeat_strategy),
        properties=_command_properties(trigger),
        stores=shared_stores(),
        threshold=trigger.threshold,
        store_reads=store_reads() if sandbox_reads is None else sandbox_reads,
        web_queries=(
            EndpointQueries()
            if settings.RULE_WEB_QUERIES_ENABLED and sandbox_reads is None
            else None
        ),
    )
    return replace(info, alert_message=_alert_message(trigger, info))


def _alert_message(trigger: TriggerSnapshot, info: RenderInfo) -> str:
    """``${alert_message}``: the rule's Logging-tab text for the trigger's status,
    rendered as alert history renders it (the default text when the rule has none)."""
    rule = Rule.objects.filter(name=trigger.rule).first()
    template = ""
    if rule is not None:
        if trigger.status == "OPEN":
            template = rule.alert_open_message
        elif trigger.status == "REPEAT":
            template = rule.alert_open_message if rule.alert_message_as_open else rule.alert_message
        else:
            as_open = rule.alert_cancellation_message_as_open
            template = rule.alert_open_message if as_open else rule.alert_cancellation_message
    return history_alert_text(trigger, info, template, now_ms=trigger.now_ms).text


def _command_properties(trigger: TriggerSnapshot) -> dict[str, str]:
    """``${properties}`` of a property rule: the tags of its command, from the store."""
    if trigger.data_type != "property" or not trigger.entity or not trigger.message_type:
        return {}
    return command_tags(trigger.entity, trigger.message_type, trigger.keys, trigger.command_time)


def binding_render_info(job: Job, message_format: str) -> RenderInfo:
    """``render_info`` with the settings of ``job``'s web-notification binding."""
    return render_info(
        job.trigger,
        message_format=message_format,
        details_format=details_format(job.binding, job.parameters),
        repeat_strategy=job.binding.repeat_strategy,
    )


def render_reporting(
    delivery: Delivery,
    trigger: TriggerSnapshot,
    info: RenderInfo,
    template: str,
    message_format: str,
    errors: list[str],
) -> RenderResult:
    """``template`` rendered for ``trigger`` (``now`` is the trigger's), its placeholder
    errors put on the Rule Errors page of the delivery's rule and appended to ``errors``."""
    result = render_message(
        template, trigger, info, now_ms=trigger.now_ms, message_format=message_format
    )
    for problem in result.errors:
        rule_error(delivery, problem.message, problem.expression)
        errors.append(problem.message)
    return result


class _Renderer:
    """Renders the templates of one job, collecting what went wrong as rule errors."""

    def __init__(self, job: Job, info: RenderInfo) -> None:
        self.job, self.info = job, info
        self.errors: list[str] = []
        self.cancelled = False
        self.portals: list[PortalRequest] = []  # addPortal() of the rendered texts

    def render(self, template: str, message_format: str) -> tuple[str, bool]:
        job = self.job
        result = render_reporting(
            job.delivery, job.trigger, self.info, template, message_format, self.errors
        )
        self.portals.extend(result.portals)
        return result.text, result.cancelled

    def template(
        self, template: str, escape: Callable[[str], str] | None, values: Mapping[str, str]
    ) -> str:
        """``template`` rendered as plain text with ``values`` bound over the trigger's
        names, each placeholder's text passed through ``escape`` (request templates)."""
        trigger = self.job.trigger
        scope = TriggerScope(trigger, replace(self.info, link_style="none"), now_ms=trigger.now_ms)
        result = render_template(template, OverlayScope(scope, values), escape=escape)
        for problem in result.errors:
            rule_error(self.job.delivery, problem.message, problem.expression)
            self.errors.append(problem.message)
        self.cancelled = self.cancelled or result.cancelled
        return result.text

    def parameters(self, rendered: tuple[str, ...]) -> dict[str, str]:
        """The job's parameters with placeholders rendered in the ``rendered`` ones that
        are not secret."""
        values = dict(self.job.parameters)
        secrets = set(self.job.endpoint.secret_keys())
        for key in rendered:
            value = values.get(key, "")
            if key not in secrets and ("${" in value or "@" in value):
                values[key], _ = self.render(value, "text")
        return values

    def details(self) -> Attachment | None:
        """The details table as a ``.txt`` file, when the binding attaches it."""
        job = self.job
        if not getattr(job.binding, f"{job.slot}_details"):
            return None
        try:
            table = details_table(job.trigger, self.info, self.info.details_format)
        except Exception as exc:  # an unknown format is the rule's error, not the send's
            rule_error(job.delivery, f"details table: {exc}")
            self.errors.append(str(exc))
            return None
        t = job.trigger
        name = details_file_name(t.rule, t.entity, t.status, t.now_ms, settings.TIME_ZONE)
        return Attachment(name, table.encode("utf-8"), "text/plain")

    def charts(self) -> list[Chart]:
        """The charts to attach: the binding's when it attaches a screenshot, then
        those the texts asked for with addPortal()."""
        job = self.job
        event_id = job.delivery.event_id
        requested = requested_charts(job.trigger, self.portals, event_id=event_id)
        if not getattr(job.binding, f"{job.slot}_screenshot"):
            return requested
        portal_ids = getattr(job.binding, f"{job.slot}_portal_ids", "") or ""
        charts = trigger_charts(
            job.trigger, portal_ids, event_id=event_id, entity_label=self.info.entity_label
        )
        return charts + requested


def window_fields_message(job: Job, message_format: str) -> Message:
    """The message of a kind that takes the window fields: their JSON object, with a
    ``note`` when the alert's OPEN never arrived or no sample cancelled it; no files
    (the links are fields)."""
    info = binding_render_info(job, message_format)
    fields = window_fields(job.trigger, info, now_ms=job.trigger.now_ms)
    note = delivery_note(job.delivery, job.trigger)
    if note is not None:
        fields["note"] = note
    text = json.dumps(fields, ensure_ascii=False)
    return Message(text, message_format, dict(job.parameters), None, [], False, [])


def request_message(job: Job, channel: type[Transport], journal: Journal) -> Message | SendOutcome:
    """The message of a kind whose parameters are a request: the request filled for the
    trigger, its body (or URL) as the preview text; no files."""
    renderer = _Renderer(job, binding_render_info(job, "text"))
    parameters = channel.render_request(job.parameters, renderer.template)
    preview = parameters.get("body", "").strip() or parameters.get("url", "")
    if renderer.cancelled:
        journal.note(AttemptStatus.CANCELLED, "cancelAction()", TEXT_REQUEST)
        return cancelled("cancelAction()", preview[:PREVIEW_CHARS], renderer.errors)
    return Message(preview, "text", parameters, None, [], False, renderer.errors)


def render(job: Job, journal: Journal) -> Message | SendOutcome:
    """The message of ``job``, or the outcome that ends its attempt here."""
    channel = job.endpoint.transport_class()
    message_format = channel.message_format(job.parameters)
    if message_format not in MESSAGE_FORMAT_LINK_STYLES:
        error = f"unknown message format {message_format!r}"
        journal.note(AttemptStatus.ERROR, error, TEXT_REQUEST)
        return SendOutcome(DeliveryStatus.FAILED, error=error)
    if channel.sends_window_fields:
        return window_fields_message(job, message_format)
    if channel.renders_request:
        return request_message(job, channel, journal)
    renderer = _Renderer(job, binding_render_info(job, message_format))
    template = job.parameters.get(channel.text_parameter, "")
    if job.trigger.flapping == FLAP_STARTED:
        template = flapping_template(job.trigger)
    text, cancel = renderer.render(template, message_format)
    if text and job.trigger.flapping == FLAP_ENDED:
        text = STABLE_PREFIX + text
    parameters = renderer.parameters(channel.rendered_parameters)
    if cancel or not text:
        reason = "cancelAction()" if cancel else "empty message text"
        journal.note(AttemptStatus.CANCELLED, reason, TEXT_REQUEST)
        return cancelled(reason, text[:PREVIEW_CHARS], renderer.errors)
    note = delivery_note(job.delivery, job.trigger)
    if note is not None:
        text = with_note(text, note, message_format, channel.text_limit)
    portal_links = (parameters.get("add_links_to_portals") or "").strip().lower() in TRUE
    return Message(
        text, message_format, parameters, renderer.details(), renderer.charts(), portal_links,
        renderer.errors,
    )  # fmt: skip
