"""The SMTP test server enforces what a mail server does: login, STARTTLS, refusals."""

from __future__ import annotations

import smtplib
import ssl

import pytest

from devtools.fakes.smtp import SmtpServer
from tests.conftest import SMTP_LOGIN, SMTP_PASSWORD

MESSAGE = b"Subject: hi\r\nFrom: a@example.org\r\nTo: b@example.org\r\n\r\nbody\r\n"


def test_it_keeps_the_envelope_the_login_and_the_message(smtp_server):
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=5) as client:
        client.login(SMTP_LOGIN, SMTP_PASSWORD)
        client.sendmail("a@example.org", ["b@example.org"], MESSAGE)
    (mail,) = smtp_server.wait_for(1)
    assert (mail.mail_from, mail.rcpt_tos, mail.login) == (
        "a@example.org",
        ("b@example.org",),
        SMTP_LOGIN,
    )
    assert mail.message["Subject"] == "hi"
    assert mail.encrypted is False


def test_a_wrong_password_is_535_and_no_login_is_refused(smtp_server):
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=5) as client:
        with pytest.raises(smtplib.SMTPAuthenticationError) as caught:
            client.login(SMTP_LOGIN, "wrong")
        assert caught.value.smtp_code == 535
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            client.sendmail("a@example.org", ["b@example.org"], MESSAGE)
        assert refused.value.smtp_code == 530  # authentication required
    assert smtp_server.received == []


def test_scripted_replies_and_refused_recipients_are_answered_and_logged(smtp_server):
    smtp_server.script("DATA", "451 4.3.0 Try again later")
    smtp_server.refuse("nobody@example.org")
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=5) as client:
        client.login(SMTP_LOGIN, SMTP_PASSWORD)
        with pytest.raises(smtplib.SMTPDataError) as caught:
            client.sendmail("a@example.org", ["b@example.org"], MESSAGE)
        assert caught.value.smtp_code == 451
        refused = client.sendmail("a@example.org", ["b@example.org", "nobody@example.org"], MESSAGE)
    assert refused == {"nobody@example.org": (550, b"5.1.1 No such user")}
    assert smtp_server.log[2] == "DATA 451 4.3.0 Try again later"
    assert smtp_server.wait_for(1)[0].rcpt_tos == ("b@example.org",)


def test_starttls_is_required_before_mail_and_then_the_session_is_encrypted():
    with SmtpServer(security="STARTTLS") as server:
        with smtplib.SMTP(server.host, server.port, timeout=5) as client:
            with pytest.raises(smtplib.SMTPSenderRefused) as caught:
                client.sendmail("a@example.org", ["b@example.org"], MESSAGE)
            assert caught.value.smtp_code == 530
        context = ssl.create_default_context(cafile=server.ca_bundle)
        with smtplib.SMTP(server.host, server.port, timeout=5) as client:
            client.starttls(context=context)
            client.sendmail("a@example.org", ["b@example.org"], MESSAGE)
        assert server.wait_for(1)[0].encrypted is True
