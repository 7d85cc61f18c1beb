"""Email end to end: a rule's <emailNotification> run by the engine, its triggers stored
through the engine worker's store path (which dispatches in its transaction), sent by a
real notify worker (Celery on real Redis) with the pooled Chromium for the chart, into a
real SMTP server (aiosmtpd) whose messages are parsed.

Nothing sleeps a fixed time: every wait polls the SMTP server or the database.
"""

from __future__ import annotations

import struct

import pytest

from notifications.models import Delivery, DeliveryAttempt
from notifications.screenshots.pool import reset_pool
from rules.contract.email_bindings import EmailTriggerSettings
from tests.engine_helpers import poll
from tests.unit.delivery.email_factories import (
    BODY,
    SUBJECT,
    email_rule,
    email_run,
    email_spec,
    mail_client,
)
from tests.unit.delivery.factories import RULE, SERVER_URL, at

pytestmark = pytest.mark.integration

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
L = f"{SERVER_URL}/rule/edit.xhtml?name={RULE}"


@pytest.fixture(autouse=True)
def portal_settings(settings, live_server):
    settings.SERVER_URL = SERVER_URL
    settings.TIME_ZONE = "UTC"
    settings.PORTAL_BASE_URL = live_server.url
    settings.WEBDRIVER_SHOT_TIMEOUT = 20
    reset_pool()
    yield settings
    reset_pool()


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    return struct.unpack(">II", data[16:24])


def test_open_repeat_cancel_arrive_in_order_with_the_chart_inline_after_4xx_retries(
    smtp_server, notify_worker
):
    # The worker is set up after the SMTP server, hence stopped before it: a send in
    # flight at the end still finds its server.
    mail_client(smtp_server)
    later = EmailTriggerSettings(subject=SUBJECT, body=BODY)
    rule = email_rule(
        email_spec(
            open=EmailTriggerSettings(SUBJECT, BODY, screenshot=True), repeat=later, cancel=later
        )
    )
    # The OPEN is refused twice as a mail server does under load: retried, and the
    # REPEAT and CANCEL wait behind it (per-window order).
    smtp_server.script("DATA", "451 4.3.0 Try again later", times=2)

    run = email_run(rule)
    for minute, value in enumerate((55, 60, 20)):  # OPEN, REPEAT, CANCEL (avg 45)
        run.series(value, at(minute))
    received = smtp_server.wait_for(3, timeout=90)

    subjects = [r.message["Subject"] for r in received]
    assert subjects == [f"[{s}] {RULE} for br-1905" for s in ("OPEN", "REPEAT", "CANCEL")]
    assert all(r.rcpt_tos == ("ops@example.org", "br-1905@example.org") for r in received)
    open_mail = received[0]
    (cid, png) = next(iter(open_mail.inline_images().items()))
    assert png_size(png) == (1024, 640)
    html = open_mail.html()
    assert f'<img src="cid:{cid}" alt="Default for br-1905">' in html
    assert f'<p>Value: 55</p>\nRule: <a href="{L}">{RULE}</a>' in html
    assert [r.inline_images() for r in received[1:]] == [{}, {}]

    poll(lambda: Delivery.objects.filter(status="DELIVERED").count() == 3, what="3 delivered")
    rows = Delivery.objects.order_by("sequence")
    assert [(d.trigger, d.attempts) for d in rows] == [("OPEN", 3), ("REPEAT", 1), ("CANCEL", 1)]
    log = DeliveryAttempt.objects.filter(request="email").order_by("id")
    assert [(a.attempt, a.response_code, a.status) for a in log] == [
        (1, 451, "RETRY"),
        (2, 451, "RETRY"),
        (3, 250, "OK"),
        (1, 250, "OK"),
        (1, 250, "OK"),
    ]
    assert smtp_server.log.count("DATA 451 4.3.0 Try again later") == 2
