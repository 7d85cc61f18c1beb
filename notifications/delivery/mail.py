"""Email deliveries: lookup → render → send of one ``<emailNotification>`` trigger.

A delivery of channel ``email`` is claimed, ordered, retried and recorded like a web
notification (:mod:`notifications.delivery.worker`); these are its three middle
stages. What differs is the shape of what is sent: one message per delivery — the
subject, the HTML body with the details table, and the charts inline (CID images) —
handed to the mail client in one request, logged as ``email`` in the Notification Log.

* **lookup**: the trigger, the binding (read from the rule, where email bindings
  live), the settings this trigger sends with (an "as open" trigger uses OPEN's) and
  the mail client. A binding removed or disabled since the trigger, or the mail
  client disabled: CANCELLED (spec §3.9: a disabled endpoint ignores sends). A mail
  client without host or sender: FAILED, the error names what to configure.
* **render**: recipients, subject and body are templates (spec §2.4); the body is
  rendered as HTML (links as ``<a>``, values escaped), the details table in HTML,
  the charts captured by the browser pool. Placeholder errors go to the Rule Errors
  page and never stop a send; ``cancelAction()``, an empty subject or no recipient
  left end the attempt as CANCELLED. A REPEAT or CANCEL after a lost OPEN says so.
* **send**: the message goes once; a retry after it was accepted sends nothing. A
  mailbox cannot be asked what it received, so a message whose answer was lost is
  sent again (at least once: a lost alert is worse than a repeated one).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from notifications.channels.base import TransportError
from notifications.channels.email.message import EmailContent, InlineImage, compose
from notifications.channels.email.transport import SmtpSettings, SmtpTransport
from notifications.delivery.journal import Journal
from notifications.delivery.lookup import rule_error
from notifications.delivery.lost_open import delivery_note, with_note
from notifications.delivery.outcome import SendOutcome, cancelled
from notifications.delivery.render import PREVIEW_CHARS, render_info, render_reporting
from notifications.delivery.send import failed, waiting
from notifications.models import AttemptStatus, Delivery, DeliveryStatus, MailClient
from notifications.rendering import RenderInfo, details_table
from notifications.screenshots.capture import ScreenshotError, take
from notifications.screenshots.charts import trigger_charts
from rules.contract.email_bindings import (
    EmailNotificationError,
    EmailNotificationSpec,
    EmailTriggerSettings,
    split_recipients,
)
from rules.contract.rule_bindings import email_notification_specs
from rules.contract.triggers import TriggerSnapshot
from rules.models import Rule, TriggerRecord

log = logging.getLogger(__name__)

EMAIL_REQUEST = "email"  # the log name of an email's one request
JOURNAL_KIND = "email"


@dataclass(frozen=True)
class EmailJob:
    """A claimed email delivery with what render and send need. ``sends``: the
    settings of the trigger's slot (OPEN's for a trigger "same as on open")."""

    delivery: Delivery
    trigger: TriggerSnapshot
    spec: EmailNotificationSpec
    sends: EmailTriggerSettings
    client: MailClient


@dataclass
class RenderedEmail:
    """The email of one job and the placeholder errors met while rendering it."""

    content: EmailContent
    rule_errors: list[str] = field(default_factory=list)

    @property
    def preview(self) -> str:
        return self.content.preview[:PREVIEW_CHARS]


def smtp_settings(client: MailClient) -> SmtpSettings:
    """The transport settings of the mail client."""
    return SmtpSettings(
        host=client.host.strip(),
        port=client.port,
        security=client.security,
        login=client.login.strip(),
        password=client.password,
        sender=client.sender.strip(),
        sender_name=client.sender_name.strip(),
        verify_tls=not client.ignore_ssl_errors,
        timeout_s=float(client.timeout_s),
    )


def lookup_email(delivery: Delivery) -> EmailJob | SendOutcome:
    """The job of an email ``delivery``, or the outcome that ends its attempt here."""
    record = TriggerRecord.objects.filter(event_id=delivery.event_id).first()
    if record is None:
        return SendOutcome(DeliveryStatus.FAILED, error="trigger record no longer exists")
    rule = Rule.objects.filter(name=delivery.rule_name).first()
    try:
        specs = email_notification_specs(rule) if rule is not None else []
    except EmailNotificationError as exc:
        return SendOutcome(DeliveryStatus.FAILED, error=f"email notification unreadable: {exc}")
    spec = next((s for s in specs if s.name == delivery.binding_name), None)
    if spec is None or not spec.enabled:
        return cancelled("email notification disabled or removed: send ignored")
    client = MailClient.load()
    if not client.enabled:
        return cancelled("mail client disabled: send ignored")
    trigger = record.snapshot()
    return EmailJob(delivery, trigger, spec, spec.sends(delivery.trigger.lower()), client)


class _Renderer:
    """Renders the templates of one job, collecting what went wrong as rule errors."""

    def __init__(self, job: EmailJob, info: RenderInfo, journal: Journal) -> None:
        self.job, self.info, self.journal = job, info, journal
        self.errors: list[str] = []
        self.cancelled = False

    def render(self, template: str, message_format: str) -> str:
        job = self.job
        result = render_reporting(
            job.delivery, job.trigger, self.info, template, message_format, self.errors
        )
        self.cancelled = self.cancelled or result.cancelled
        return result.text

    def recipients(self) -> tuple[str, ...]:
        """The rendered recipients that are addresses; the others are rule errors."""
        found = []
        for address in split_recipients(self.render(self.job.spec.recipients, "text")):
            local, at, domain = address.rpartition("@")
            if at and local and "." in domain:
                found.append(address)
            else:
                error = f"email notification '{self.job.spec.name}': not an address: {address!r}"
                rule_error(self.job.delivery, error)
                self.errors.append(error)
        return tuple(found)

    def details(self) -> str:
        """The details table in HTML, when the binding includes it."""
        if not self.job.sends.details:
            return ""
        try:
            return details_table(self.job.trigger, self.info, "html")
        except Exception as exc:  # a table that cannot be made is the rule's error
            rule_error(self.job.delivery, f"details table: {exc}")
            self.errors.append(str(exc))
            return ""

    def charts(self) -> tuple[list[InlineImage], str]:
        """The charts the binding shows, captured; for each one no image can be made
        of, a line with its link instead (and an ERROR row in the log saying why)."""
        job = self.job
        if not job.sends.screenshot:
            return [], ""
        images, unavailable = [], []
        charts = trigger_charts(
            job.trigger,
            job.sends.portal_ids,
            event_id=job.delivery.event_id,
            entity_label=self.info.entity_label,
        )
        for index, chart in enumerate(charts, start=1):
            try:
                png = take(chart.portal, chart.params)
                images.append(InlineImage(png, chart.filename, chart.caption))
            except ScreenshotError as exc:
                reason = str(exc)
                error = f"screenshot failed, chart link sent instead: {reason}"
                self.journal.note(AttemptStatus.ERROR, error, f"screenshot-{index}")
                unavailable.append(f"<p>{chart.unavailable_text(reason, 'html')}</p>")
        return images, "".join(unavailable)


def render_email(job: EmailJob, journal: Journal) -> RenderedEmail | SendOutcome:
    """The email of ``job``, or the outcome that ends its attempt here."""
    info = render_info(
        job.trigger,
        message_format="html",
        details_format="html",
        repeat_strategy={
            "type": job.spec.repeat_interval.type,
            "count": job.spec.repeat_interval.count,
            "unit": job.spec.repeat_interval.unit,
        },
    )
    renderer = _Renderer(job, info, journal)
    subject = renderer.render(job.sends.subject, "text").strip()
    body = renderer.render(job.sends.body, "html")
    recipients = renderer.recipients()
    if not recipients:
        rule_error(job.delivery, f"email notification '{job.spec.name}': no recipients")
    if renderer.cancelled or not subject or not recipients:
        reason = "cancelAction()" if renderer.cancelled else "empty subject"
        if not renderer.cancelled and subject:
            reason = "no recipients"
        journal.note(AttemptStatus.CANCELLED, reason, EMAIL_REQUEST)
        return cancelled(reason, subject[:PREVIEW_CHARS], renderer.errors)
    body += renderer.details()
    note = delivery_note(job.delivery, job.trigger)
    if note is not None:
        body = with_note(body, note, "html", None)
    images, unavailable = renderer.charts()
    content = EmailContent(
        subject, body + unavailable, recipients, urgent=job.spec.priority > 0, images=images
    )
    return RenderedEmail(content, renderer.errors)


def send_email(job: EmailJob, email: RenderedEmail, journal: Journal) -> SendOutcome:
    """Hand the email to the mail client; report how it went (never raises for a
    send problem; :class:`~notifications.delivery.journal.ClaimLost` when the
    delivery was taken back from this worker meanwhile)."""
    preview, errors = email.preview, email.rule_errors
    try:
        transport = SmtpTransport(smtp_settings(job.client))
    except TransportError as exc:
        attempt = journal.note(AttemptStatus.ERROR, exc.message, EMAIL_REQUEST)
        return SendOutcome(DeliveryStatus.FAILED, exc.message, None, attempt, preview, errors)
    transport.before_send = journal.before_send
    unanswered = [a for a in journal.earlier_requests() if a.status == AttemptStatus.SENDING]
    wait = waiting(transport, journal, unanswered, preview, errors) if unanswered else None
    if wait is not None:
        return wait
    sender = transport.settings
    message = compose(email.content, sender=sender.sender, sender_name=sender.sender_name)
    journal.expect(EMAIL_REQUEST)
    try:
        sent = transport.send_email(message, email.content.recipients)
    except TransportError as exc:
        return failed(job.delivery, EMAIL_REQUEST, journal, exc, preview, errors)
    journal.answered(sent)
    return SendOutcome(DeliveryStatus.DELIVERED, preview=preview, rule_errors=errors)


def send_email_delivery(delivery: Delivery, worker: str) -> SendOutcome:
    """One attempt at an email delivery claimed by ``worker``: lookup → render → send.

    An email an earlier attempt got accepted is not sent again (the attempt failed
    after it, e.g. while recording).
    """
    job = lookup_email(delivery)
    if isinstance(job, SendOutcome):
        return job
    journal = Journal(delivery, JOURNAL_KIND, worker)
    if any(a.status == AttemptStatus.OK for a in journal.earlier_requests()):
        return SendOutcome(DeliveryStatus.DELIVERED)
    email = render_email(job, journal)
    if isinstance(email, SendOutcome):
        return email
    return send_email(job, email, journal)
