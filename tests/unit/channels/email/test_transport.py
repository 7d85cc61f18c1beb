"""SMTP transport against a real SMTP server (aiosmtpd): 4xx retried, 5xx not, TLS modes."""

from __future__ import annotations

import pytest

from devtools.fakes.smtp import SmtpServer, free_port
from notifications.channels.base import TransportError
from notifications.channels.email.message import EmailContent, compose
from notifications.channels.email.transport import SmtpSettings, SmtpTransport
from tests.conftest import SMTP_LOGIN, SMTP_PASSWORD

TO = ("ops@example.org",)


def transport(server: SmtpServer | None, **fields) -> SmtpTransport:
    values = {
        "host": "127.0.0.1",
        "port": server.port if server else free_port(),
        "security": server.security if server else "NONE",
        "login": SMTP_LOGIN,
        "password": SMTP_PASSWORD,
        "sender": "alerts@example.org",
        "timeout_s": 5.0,
    }
    values.update(fields)
    return SmtpTransport(SmtpSettings(**values))


def message(subject: str = "[OPEN] r"):
    return compose(EmailContent(subject, "<p>x</p>", TO), sender="alerts@example.org")


def test_an_accepted_message_is_sent_with_its_message_id(smtp_server):
    mail = message()
    sent = transport(smtp_server).send_email(mail, TO)
    assert (sent.status, sent.message_id) == (250, mail["Message-ID"])
    (received,) = smtp_server.wait_for(1)
    assert received.rcpt_tos == TO
    assert received.login == SMTP_LOGIN
    assert received.message["Message-ID"] == mail["Message-ID"]


@pytest.mark.parametrize(
    ("stage", "reply"),
    [("MAIL", "421 4.7.0 Too many connections"), ("DATA", "451 4.3.0 Try again later")],
)
def test_a_4xx_reply_is_transient(smtp_server, stage, reply):
    smtp_server.script(stage, reply)
    with pytest.raises(TransportError) as caught:
        transport(smtp_server).send_email(message(), TO)
    assert not caught.value.permanent
    assert caught.value.status == int(reply[:3])
    assert reply[4:] in caught.value.message


def test_a_5xx_reply_is_permanent_with_the_servers_text(smtp_server):
    smtp_server.script("DATA", "554 5.7.1 Message rejected as spam")
    with pytest.raises(TransportError) as caught:
        transport(smtp_server).send_email(message(), TO)
    assert caught.value.permanent
    assert caught.value.status == 554
    assert "Message rejected as spam" in caught.value.message


def test_recipients_all_refused_permanently_fail_and_some_refused_are_named(smtp_server):
    smtp_server.refuse("ops@example.org")
    with pytest.raises(TransportError) as caught:
        transport(smtp_server).send_email(message(), TO)
    assert caught.value.permanent
    assert "ops@example.org: 550 5.1.1 No such user" in caught.value.message
    sent = transport(smtp_server).send_email(message(), ("ops@example.org", "dev@example.org"))
    assert sent.response_text == "ops@example.org refused: 550 5.1.1 No such user"
    assert smtp_server.wait_for(1)[0].rcpt_tos == ("dev@example.org",)


def test_a_greylisted_recipient_is_transient(smtp_server):
    smtp_server.script("RCPT", "450 4.2.0 Greylisted, try again in 5 minutes")
    with pytest.raises(TransportError) as caught:
        transport(smtp_server).send_email(message(), TO)
    assert not caught.value.permanent


def test_a_refused_connection_is_transient():
    with pytest.raises(TransportError) as caught:
        transport(None).send_email(message(), TO)
    assert not caught.value.permanent
    assert caught.value.status is None
    assert "(connect)" in caught.value.message


def test_a_wrong_password_is_permanent_and_never_in_the_error(smtp_server):
    secret = "wrong-password-0912"
    with pytest.raises(TransportError) as caught:
        transport(smtp_server, password=secret).send_email(message(f"about {secret}"), TO)
    assert caught.value.permanent
    assert caught.value.status == 535
    assert secret not in caught.value.message


@pytest.mark.parametrize("security", ["STARTTLS", "SSL"])
def test_tls_modes_send_encrypted_and_refuse_an_untrusted_certificate(security):
    with SmtpServer(security=security) as server:
        with pytest.raises(TransportError) as caught:
            transport(server, login="").send_email(message(), TO)
        assert caught.value.permanent
        assert "not trusted" in caught.value.message
        transport(server, login="", verify_tls=False).send_email(message(), TO)
        assert server.wait_for(1)[0].encrypted is True


def test_the_footprint_is_logged_before_the_message_leaves(smtp_server):
    seen = []
    sender = transport(smtp_server)
    sender.before_send = lambda footprint: seen.append((footprint, len(smtp_server.received)))
    mail = message("[OPEN] footprint")
    sender.send_email(mail, TO)
    ((footprint, received_then),) = seen
    assert received_then == 0
    assert (footprint.room, footprint.kind, footprint.text) == (
        "ops@example.org",
        "email",
        "[OPEN] footprint",
    )


def test_settings_without_host_or_sender_cannot_send():
    with pytest.raises(TransportError, match="no SMTP host"):
        SmtpTransport(SmtpSettings(host="", port=25, sender="a@x.org"))
    with pytest.raises(TransportError, match="no sender"):
        SmtpTransport(SmtpSettings(host="mail", port=25))
