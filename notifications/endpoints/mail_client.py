"""Settings → Mail Client: the SMTP settings email notifications are sent with, and
**Test**, which sends one message with the values in the form, saved or not.

Administrators only (``design.md`` invariant 7): the page edits configuration.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from atsd_alerts.accounts import administrator_required
from notifications.channels.base import TransportError
from notifications.channels.email.form import MailClientForm
from notifications.channels.email.message import EmailContent, compose
from notifications.channels.email.transport import SmtpTransport
from notifications.delivery.mail import smtp_settings
from notifications.endpoints.trial import TEST_TEXT, TrialOutcome
from notifications.models import MailClient

logger = logging.getLogger(__name__)

TEST_SUBJECT = "Test message from atsd-alerts"


def send_test_email(client: MailClient, recipient: str) -> TrialOutcome:
    """Send one test message with ``client``'s settings (enabled or not) to ``recipient``."""
    try:
        transport = SmtpTransport(smtp_settings(client))
        settings = transport.settings
        content = EmailContent(TEST_SUBJECT, f"<p>{TEST_TEXT}</p>", (recipient,))
        message = compose(content, sender=settings.sender, sender_name=settings.sender_name)
        sent = transport.send_email(message, (recipient,))
    except TransportError as exc:
        logger.info("mail client test to %s failed: %s", recipient, exc.message)
        return TrialOutcome(False, exc.status, exc.message)
    logger.info("mail client test to %s: %s", recipient, sent.status)
    return TrialOutcome(
        True, sent.status, f"{sent.status}: test message to {recipient} accepted by {client.host}."
    )


@administrator_required
@never_cache
def mail_client_settings(request: HttpRequest) -> HttpResponse:
    """GET shows the settings; POST ``save`` stores them, POST ``test`` sends a test."""
    client = MailClient.load()
    outcome = None
    status = 200
    if request.method != "POST":
        form = MailClientForm(instance=client)
    else:
        form = MailClientForm(request.POST, instance=client)
        if not form.is_valid():
            status = 400
        elif "test" in request.POST:
            outcome = send_test_email(form.client(), form.cleaned_data["test_recipient"])
        else:
            form.client().save()
            messages.success(request, "Mail client saved.")
            logger.info("mail client settings saved by %s", request.user)
            return redirect("mail-client")
    context = {"form": form, "outcome": outcome, "has_password": bool(form.stored_password)}
    return render(request, "notifications/mail_client.html", context, status=status)
