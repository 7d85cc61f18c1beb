"""Email deliveries without a broker: dispatch writes the rows, process_order_key sends
them to a real SMTP server (aiosmtpd) on loopback; what it received is parsed.

No test sleeps: a retry's wait is skipped by making the row due (``due_now``).
"""

from __future__ import annotations

import pytest

from devtools.fakes.smtp import DROP
from notifications.delivery.intake import MAIL_ENDPOINT
from notifications.models import Delivery, DeliveryAttempt, MailClient
from rules.contract.email_bindings import EmailTriggerSettings
from rules.models import RuleErrorRecord
from tests.unit.delivery.email_factories import (
    BODY,
    EMAIL_BINDING,
    email_rule,
    email_run,
    email_spec,
    mail_client,
)
from tests.unit.delivery.factories import RULE, L, at, deliver, due_now

pytestmark = pytest.mark.django_db


def attempts() -> list[tuple[int, str, int, str]]:
    rows = DeliveryAttempt.objects.order_by("id")
    return [(a.attempt, a.request, a.response_code, a.status) for a in rows]


def test_open_repeat_cancel_arrive_in_order_with_rendered_subjects_bodies_and_recipients(
    smtp_server,
):
    mail_client(smtp_server)
    run = email_run(email_rule())
    deliver(run.series(55, at(0)))
    deliver(run.series(60, at(1)))
    deliver(run.series(20, at(2)))

    received = smtp_server.wait_for(3)
    subjects = [r.message["Subject"] for r in received]
    assert subjects == [f"[{s}] {RULE} for br-1905" for s in ("OPEN", "REPEAT", "CANCEL")]
    first = received[0]
    assert first.rcpt_tos == ("ops@example.org", "br-1905@example.org")
    assert first.message["To"] == "ops@example.org, br-1905@example.org"
    assert first.message["From"] == "ATSD Alerts <alerts@example.org>"
    assert f'<p>Value: 55</p>\nRule: <a href="{L}">{RULE}</a>' in first.html()
    assert [r.html().count("<p>Value: ") for r in received] == [1, 1, 1]
    rows = Delivery.objects.order_by("sequence")
    assert [(d.trigger, d.status, d.endpoint_name) for d in rows] == [
        ("OPEN", "DELIVERED", MAIL_ENDPOINT),
        ("REPEAT", "DELIVERED", MAIL_ENDPOINT),
        ("CANCEL", "DELIVERED", MAIL_ENDPOINT),
    ]
    assert len({d.order_key for d in rows}) == 1
    assert attempts() == [(1, "email", 250, "OK")] * 3
    ids = list(DeliveryAttempt.objects.order_by("id").values_list("message_id", flat=True))
    assert ids == [r.message["Message-ID"] for r in received]


def test_a_4xx_is_retried_and_the_message_sent_once(smtp_server):
    mail_client(smtp_server)
    smtp_server.script("DATA", "451 4.3.0 Try again later", times=2)
    run = email_run(email_rule())
    (row,) = deliver(run.series(55, at(0)))
    assert row.status == "PENDING"
    for _ in range(2):
        due_now()
        (row,) = deliver(run.stored)
    assert row.status == "DELIVERED"
    assert attempts() == [
        (1, "email", 451, "RETRY"),
        (2, "email", 451, "RETRY"),
        (3, "email", 250, "OK"),
    ]
    assert len(smtp_server.received) == 1


def test_a_refused_connection_is_retried_until_the_server_is_back(smtp_server):
    client = mail_client(smtp_server)
    MailClient.objects.filter(pk=client.pk).update(port=smtp_server.port + 1 or 1)
    run = email_run(email_rule())
    (row,) = deliver(run.series(55, at(0)))
    assert row.status == "PENDING"
    assert attempts() == [(1, "email", 0, "RETRY")]
    MailClient.objects.filter(pk=client.pk).update(port=smtp_server.port)
    due_now()
    (row,) = deliver(run.stored)
    assert row.status == "DELIVERED"
    assert len(smtp_server.received) == 1


def test_a_5xx_fails_at_once_and_holds_nothing_back(smtp_server):
    mail_client(smtp_server)
    smtp_server.script("DATA", "554 5.7.1 Rejected")
    run = email_run(email_rule())
    deliver(run.series(55, at(0)))
    deliver(run.series(20, at(1)))
    rows = Delivery.objects.order_by("sequence")
    assert [(d.trigger, d.status, d.attempts) for d in rows] == [
        ("OPEN", "FAILED", 1),
        ("CANCEL", "DELIVERED", 1),
    ]
    assert "554 5.7.1 Rejected" in rows[0].last_error
    (cancel,) = smtp_server.wait_for(1)
    assert "the OPEN notification of this alert was not delivered" in cancel.html()


def test_details_table_and_urgency_follow_the_binding(smtp_server):
    mail_client(smtp_server)
    spec = email_spec(
        priority=1,
        open=EmailTriggerSettings(subject="[${status}] ${rule}", body=BODY, details=True),
        cancel=EmailTriggerSettings(subject=""),  # off: no CANCEL email
    )
    run = email_run(email_rule(spec))
    deliver(run.series(55, at(0)))
    assert deliver(run.series(20, at(1))) == []
    (received,) = smtp_server.wait_for(1)
    assert received.message["X-Priority"] == "1 (Highest)"
    html = received.html()
    assert "<table" in html
    assert "<td>br-1905</td>" in html or ">br-1905<" in html


def test_recipients_that_render_to_no_address_cancel_the_email_as_a_rule_error(smtp_server):
    mail_client(smtp_server)
    run = email_run(email_rule(email_spec(recipients="${tags.owner}")))
    (row,) = deliver(run.series(55, at(0)))
    assert row.status == "CANCELLED"
    assert row.last_error == "no recipients"
    assert smtp_server.received == []
    assert RuleErrorRecord.objects.filter(rule=RULE).exists()


def test_a_disabled_mail_client_or_a_removed_binding_sends_nothing(smtp_server):
    mail_client(smtp_server, enabled=False)
    rule = email_rule()
    run = email_run(rule)
    (row,) = deliver(run.series(55, at(0)))
    assert (row.status, row.last_error) == ("CANCELLED", "mail client disabled: send ignored")
    MailClient.objects.update(enabled=True)
    rule.email_notifications_xml = []
    rule.save()
    (row,) = deliver(run.series(60, at(1)))
    assert row.status == "CANCELLED"
    assert row.binding_name == EMAIL_BINDING
    assert smtp_server.received == []


def test_without_a_web_driver_the_email_carries_the_chart_link_and_the_log_says_why(
    smtp_server, settings, tmp_path
):
    not_executable = tmp_path / "chromedriver"
    not_executable.write_text("#!/bin/sh\n")
    settings.WEBDRIVER_CHROMEDRIVER = str(not_executable)
    mail_client(smtp_server)
    spec = email_spec(open=EmailTriggerSettings(subject="[${status}]", body=BODY, screenshot=True))
    (row,) = deliver(email_run(email_rule(spec)).series(55, at(0)))
    assert row.status == "DELIVERED"
    (received,) = smtp_server.wait_for(1)
    assert received.inline_images() == {}
    assert "chart could not be captured" in received.html()
    assert "/portals/series?metric=temperature&amp;entity=br-1905" in received.html()
    failure = DeliveryAttempt.objects.get(request="screenshot-1")
    assert failure.status == "ERROR"
    assert "chromedriver" in failure.error


def test_a_connection_dropped_after_the_data_is_sent_again_at_least_once(smtp_server):
    mail_client(smtp_server)
    smtp_server.script("DATA", DROP)  # the server keeps the message, the answer is lost
    run = email_run(email_rule())
    (row,) = deliver(run.series(55, at(0)))
    assert row.status == "PENDING"
    assert attempts() == [(1, "email", 0, "SENDING")]  # may have arrived: undecided
    due_now()
    (row,) = deliver(run.stored)
    assert row.status == "DELIVERED"
    log = attempts()
    assert log == [(1, "email", 0, "UNKNOWN"), (2, "email", 250, "OK")]
    assert "may show twice" in DeliveryAttempt.objects.get(status="UNKNOWN").error
    assert len(smtp_server.received) == 2  # a mailbox cannot be asked: at least once


def test_the_notification_log_shows_email_requests(smtp_server, operator_client):
    mail_client(smtp_server)
    deliver(email_run(email_rule()).series(55, at(0)))
    (mail,) = smtp_server.wait_for(1)
    (row,) = operator_client.get("/api/v1/notifications/log").json()
    assert (row["endpoint"], row["config"], row["type"], row["request"]) == (
        "email",
        EMAIL_BINDING,
        "email",
        "email",
    )
    assert (row["responseCode"], row["status"]) == (250, "OK")
    assert row["messageId"] == mail.message["Message-ID"]
    page = operator_client.get("/notifications/log/?endpoint=email").content.decode()
    assert f"[OPEN] {RULE} for br-1905" in page  # the preview: subject, then the text
