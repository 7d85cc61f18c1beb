"""Send, the third stage: a :class:`~notifications.delivery.render.Message` → the
endpoint's requests, each one logged (spec §7.3 step 6, §7.6).

The requests of a send, by log name: ``notification`` (the text), ``file`` (the
details table), then per chart ``image-N`` (its PNG, or its link when no image can
be made, with a ``screenshot-N`` ERROR row saying why) and ``links-N`` (the rule
and portal links, when the endpoint adds them, and instead of the image for a kind
that takes no files). An endpoint naming several targets gets each request once per
target, the names suffixed ``.T``.

Every request is a Notification Log row written before it leaves and given its
outcome right after the answer (:class:`~notifications.delivery.journal.Journal`).
Requests already answered 2xx in an earlier attempt of the same delivery are not
sent again on a retry, so a 5xx on the details file never duplicates the text;
requests that left without a recorded answer are looked for in the room first
(:mod:`notifications.delivery.recovery`). A request the service's rate budget holds
back (``held``) never leaves and is no attempt: the send ends as a wait until the
budget's window resets, which grows no back-off. The caller owns the delivery's
state; this stage only reports a :class:`SendOutcome`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from django.utils import timezone

from notifications.channels.base import Attachment, Sent, Transport, TransportError
from notifications.delivery import monitoring, recovery
from notifications.delivery.journal import Journal
from notifications.delivery.lookup import Job
from notifications.delivery.outcome import RETRY, SendOutcome
from notifications.delivery.render import TEXT_REQUEST, Message
from notifications.models import AttemptStatus, Delivery, DeliveryAttempt, DeliveryStatus
from notifications.screenshots.capture import ScreenshotError, take
from notifications.screenshots.charts import Chart

log = logging.getLogger(__name__)

DETAILS_REQUEST = "file"


@dataclass(frozen=True)
class Request:
    """One outgoing request of a send: its log name and how to send it."""

    name: str
    send: Callable[[], Sent]


def _image(
    job: Job,
    message: Message,
    chart: Chart,
    index: int,
    journal: Journal,
    transport: Transport,
    target: str,
) -> Sent:
    """Capture ``chart`` and share it; when no image can be made, send its link."""
    try:
        png = take(chart.portal, chart.params)
    except ScreenshotError as exc:
        reason = str(exc)
        error = f"screenshot failed, chart link sent instead: {reason}"
        journal.note(AttemptStatus.ERROR, error, f"screenshot-{index}")
        log.error("notification %s (rule %s): %s", job.delivery.pk, job.delivery.rule_name, error)
        text = chart.unavailable_text(reason, message.message_format)
        return transport.send_text(text, severity=job.trigger.severity, target=target)
    file = Attachment(chart.filename, png, "image/png", chart.caption)
    return transport.send_file(file, target=target)


def plan(job: Job, message: Message, transport: Transport, journal: Journal) -> list[Request]:
    """The requests of one send, in the order they go out (see the module docstring)."""
    targets = transport.targets()
    requests: list[Request] = []
    for t, target in enumerate(targets, start=1):
        suffix = f".{t}" if len(targets) > 1 else ""
        send_text = partial(transport.send_text, severity=job.trigger.severity, target=target)
        requests.append(Request(TEXT_REQUEST + suffix, partial(send_text, message.text)))
        if message.details is not None:
            details = partial(transport.send_file, message.details, target=target)
            requests.append(Request(DETAILS_REQUEST + suffix, details))
        for i, chart in enumerate(message.charts, start=1):
            if not job.endpoint.kind_info.sends_files:  # no image to share: its link instead
                links = chart.links_text(job.trigger.rule, message.message_format)
                requests.append(Request(f"links-{i}{suffix}", partial(send_text, links)))
                continue
            image = partial(_image, job, message, chart, i, journal, transport, target)
            requests.append(Request(f"image-{i}{suffix}", image))
            if message.portal_links:
                links = chart.links_text(job.trigger.rule, message.message_format)
                requests.append(Request(f"links-{i}{suffix}", partial(send_text, links)))
    return requests


def waiting(
    transport: Transport,
    journal: Journal,
    unanswered: list[DeliveryAttempt],
    preview: str,
    rule_errors: list[str],
) -> SendOutcome | None:
    """Settle requests of earlier attempts that left without a recorded answer; the
    outcome to wait with when that cannot be decided yet, else None."""
    window = recovery.answer_window(transport)
    try:
        wait = recovery.resolve(journal, unanswered, transport, window, timezone.now())
    except TransportError as exc:
        error = f"cannot tell yet whether an earlier request arrived: {exc.message}"
        return SendOutcome(RETRY, error, exc.retry_after_s, None, preview, rule_errors)
    if wait is None:
        return None
    error = "waiting to tell whether an earlier request arrived"
    return SendOutcome(RETRY, error, wait, None, preview, rule_errors, failure=False)


def failed(
    delivery: Delivery,
    request: str,
    journal: Journal,
    exc: TransportError,
    preview: str,
    rule_errors: list[str],
) -> SendOutcome:
    """The outcome of request ``request`` failing with ``exc``: logged, and FAILED
    when the error is permanent, else RETRY."""
    attempt = journal.failed(exc)
    if exc.status is not None or not exc.permanent:
        monitoring.count_send()
    log.error(
        "notification %s (%s, rule %s) %s: %s",
        delivery.pk,
        request,
        delivery.rule_name,
        "failed" if exc.permanent else "will be retried",
        exc.message,
    )
    status = DeliveryStatus.FAILED if exc.permanent else RETRY
    return SendOutcome(status, exc.message, exc.retry_after_s, attempt, preview, rule_errors)


def send(job: Job, message: Message, journal: Journal) -> SendOutcome:
    """Send what ``message`` holds through the endpoint's transport; report how it went.

    Never raises for a send problem: configuration and server errors become a FAILED
    or RETRY outcome with the error text. Raises
    :class:`~notifications.delivery.journal.ClaimLost` when the delivery was taken back
    from this worker meanwhile.
    """
    try:
        transport = job.endpoint.transport(message.parameters)
    except TransportError as exc:
        attempt = journal.note(AttemptStatus.ERROR, exc.message, TEXT_REQUEST)
        log.error(
            "notification %s for rule %s: %s", job.delivery.pk, job.delivery.rule_name, exc.message
        )
        return SendOutcome(
            DeliveryStatus.FAILED, exc.message, None, attempt, message.preview, message.rule_errors
        )
    transport.before_send = journal.before_send
    earlier = journal.earlier_requests()
    unanswered = [a for a in earlier if a.status == AttemptStatus.SENDING]
    wait = (
        waiting(transport, journal, unanswered, message.preview, message.rule_errors)
        if unanswered
        else None
    )
    if wait is not None:
        return wait
    done = {a.request for a in earlier if a.status == AttemptStatus.OK}
    for request in plan(job, message, transport, journal):
        if request.name in done:
            continue
        journal.expect(request.name)
        try:
            sent = request.send()
        except TransportError as exc:
            if exc.held:  # never left: the rate budget says when it may
                return SendOutcome(
                    RETRY, exc.message, exc.retry_after_s, None, message.preview,
                    message.rule_errors, failure=False, held=True,
                )  # fmt: skip
            return failed(
                job.delivery, request.name, journal, exc, message.preview, message.rule_errors
            )
        journal.answered(sent)
        monitoring.count_send()
    return SendOutcome(
        DeliveryStatus.DELIVERED, preview=message.preview, rule_errors=message.rule_errors
    )
