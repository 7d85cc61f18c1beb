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

from dataclasses import dataclass

from django.conf import settings

from notifications.channels.base import Attachment
from notifications.delivery.journal import Journal
from notifications.delivery.lookup import Job, rule_error
from notifications.delivery.lost_open import lost_open_reason, with_note
from notifications.delivery.outcome import SendOutcome, cancelled
from notifications.models import AttemptStatus, DeliveryStatus, RuleNotification
from notifications.rendering import (
    MESSAGE_FORMAT_LINK_STYLES,
    RenderInfo,
    details_file_name,
    details_table,
    render_message,
)
from notifications.screenshots.charts import Chart, trigger_charts
from rules.contract.triggers import TriggerSnapshot
from rules.models import Entity, Metric

PREVIEW_CHARS = 500
TEXT_REQUEST = "notification"  # the log name of a send's text request
TRUE = {"true", "1", "yes", "on"}
RENDERED_PARAMETERS = ("room", "from")


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
        threshold=trigger.threshold,
    )


class _Renderer:
    """Renders the templates of one job, collecting what went wrong as rule errors."""

    def __init__(self, job: Job, info: RenderInfo) -> None:
        self.job, self.info = job, info
        self.errors: list[str] = []

    def render(self, template: str, message_format: str) -> tuple[str, bool]:
        trigger = self.job.trigger
        result = render_message(
            template, trigger, self.info, now_ms=trigger.now_ms, message_format=message_format
        )
        for problem in result.errors:
            rule_error(self.job.delivery, problem.message, problem.expression)
            self.errors.append(problem.message)
        return result.text, result.cancelled

    def parameters(self) -> dict[str, str]:
        """The job's parameters with placeholders rendered in the non-secret ones."""
        values = dict(self.job.parameters)
        secrets = set(self.job.endpoint.secret_keys())
        for key in RENDERED_PARAMETERS:
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
            table = details_table(job.trigger, self.info, job.binding.details_format or "ascii")
        except Exception as exc:  # an unknown format is the rule's error, not the send's
            rule_error(job.delivery, f"details table: {exc}")
            self.errors.append(str(exc))
            return None
        t = job.trigger
        name = details_file_name(t.rule, t.entity, t.status, t.now_ms, settings.TIME_ZONE)
        return Attachment(name, table.encode("utf-8"), "text/plain")

    def charts(self) -> list[Chart]:
        """The charts to attach, when the binding attaches a screenshot."""
        job = self.job
        if not getattr(job.binding, f"{job.slot}_screenshot"):
            return []
        portal_ids = getattr(job.binding, f"{job.slot}_portal_ids", "") or ""
        return trigger_charts(
            job.trigger,
            portal_ids,
            event_id=job.delivery.event_id,
            entity_label=self.info.entity_label,
        )


def render(job: Job, journal: Journal) -> Message | SendOutcome:
    """The message of ``job``, or the outcome that ends its attempt here."""
    message_format = (job.parameters.get("message_format") or "text").strip().lower()
    if message_format not in MESSAGE_FORMAT_LINK_STYLES:
        error = f"unknown message format {message_format!r}"
        journal.note(AttemptStatus.ERROR, error, TEXT_REQUEST)
        return SendOutcome(DeliveryStatus.FAILED, error=error)
    renderer = _Renderer(job, render_info(job.trigger, job.binding, message_format))
    text, cancel = renderer.render(job.parameters.get("message", ""), message_format)
    parameters = renderer.parameters()
    if cancel or not text:
        reason = "cancelAction()" if cancel else "empty message text"
        journal.note(AttemptStatus.CANCELLED, reason, TEXT_REQUEST)
        return cancelled(reason, text[:PREVIEW_CHARS], renderer.errors)
    lost_open = lost_open_reason(job.delivery)
    if lost_open is not None:
        limit = job.endpoint.transport_class().text_limit
        text = with_note(text, lost_open, message_format, limit)
    portal_links = (parameters.get("add_links_to_portals") or "").strip().lower() in TRUE
    return Message(
        text, message_format, parameters, renderer.details(), renderer.charts(), portal_links,
        renderer.errors,
    )  # fmt: skip
