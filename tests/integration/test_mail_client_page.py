"""Settings → Mail Client: save, a write-only password encrypted at rest, and Test
sending through a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from atsd_alerts import encryption
from notifications.models import MailClient
from tests.conftest import SMTP_LOGIN, SMTP_PASSWORD

pytestmark = pytest.mark.django_db

URL = "/notifications/mail-client/"


def form(server, **fields) -> dict[str, str]:
    data = {
        "enabled": "on",
        "host": server.host,
        "port": str(server.port),
        "security": "NONE",
        "login": SMTP_LOGIN,
        "password": SMTP_PASSWORD,
        "sender": "alerts@example.org",
        "sender_name": "ATSD Alerts",
        "timeout_s": "5",
        "test_recipient": "",
    }
    data.update(fields)
    return data


def stored_password_column() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT password FROM notifications_mailclient")
        return str(cursor.fetchone()[0])


def test_saving_stores_the_password_encrypted_and_never_shows_it(admin_client, smtp_server):
    assert reverse("mail-client") == URL
    response = admin_client.post(URL, form(smtp_server, save="1"))
    assert response.status_code == 302
    column = stored_password_column()
    assert SMTP_PASSWORD not in column
    assert encryption.is_encrypted(column)
    assert MailClient.load().password == SMTP_PASSWORD
    page = admin_client.get(URL).content.decode()
    assert SMTP_PASSWORD not in page
    assert "A password is stored" in page
    # A blank password keeps the stored one; "clear" removes it.
    admin_client.post(URL, form(smtp_server, save="1", password=""))
    assert MailClient.load().password == SMTP_PASSWORD
    admin_client.post(URL, form(smtp_server, save="1", password="", clear_password="on"))
    assert MailClient.load().password == ""


def test_test_sends_with_the_form_values_without_saving(admin_client, smtp_server):
    data = form(smtp_server, test="1", test_recipient="me@example.org")
    response = admin_client.post(URL, data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Test succeeded: 250: test message to me@example.org accepted" in page
    (mail,) = smtp_server.wait_for(1)
    assert (mail.rcpt_tos, mail.login) == (("me@example.org",), SMTP_LOGIN)
    assert mail.message["Subject"] == "Test message from atsd-alerts"
    assert "Hello from Axibase Time Series Database" in mail.html()
    assert not MailClient.objects.exists()


def test_a_failed_test_shows_the_servers_reply_and_not_the_password(admin_client, smtp_server):
    wrong = "not-the-password-7781"
    response = admin_client.post(
        URL, form(smtp_server, test="1", test_recipient="me@example.org", password=wrong)
    )
    page = response.content.decode()
    assert "Test failed: SMTP error: login: 535" in page
    assert wrong not in page
    assert smtp_server.received == []


def test_an_enabled_client_needs_a_host_and_a_sender(admin_client, smtp_server):
    response = admin_client.post(URL, form(smtp_server, save="1", host="", sender=""))
    assert response.status_code == 400
    assert response.content.decode().count("Required while the mail client is enabled.") == 2
    assert not MailClient.objects.exists()


def test_operators_cannot_open_the_page(operator_client):
    assert operator_client.get(URL).status_code == 403
