"""Endpoint tokens and proxy passwords are encrypted in the database (Fernet, SECRETS_KEY):
a copy of the database alone gives an attacker no token."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from atsd_alerts import encryption
from notifications.models import Endpoint
from tests.unit.channels.hipchat.factories import form_data, make_hipchat

TOKEN = "notif-secret-1"


def raw_row(pk: int) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT parameters, proxy_password FROM notifications_endpoint WHERE id = %s", [pk]
        )
        parameters, proxy_password = cursor.fetchone()
    return str(parameters), str(proxy_password)


@pytest.mark.django_db
def test_a_stolen_database_copy_holds_no_endpoint_token(admin_client):
    response = admin_client.post(
        reverse("endpoint-create", args=["HIPCHAT"]),
        form_data(proxy_url="http://proxy.example.org:3128", proxy_password="proxy-pw-77"),
    )
    assert response.status_code == 302, response.content.decode()[:500]
    endpoint = Endpoint.objects.get(name="hc")
    parameters, proxy_password = raw_row(endpoint.pk)
    assert TOKEN not in parameters
    assert "proxy-pw-77" not in proxy_password
    assert "Ops Alerts" not in parameters  # the whole parameter list is ciphertext
    assert encryption.is_encrypted(parameters)
    assert encryption.is_encrypted(proxy_password)
    # The application reads them back.
    assert endpoint.parameter("notification_token") == TOKEN
    assert endpoint.proxy_password == "proxy-pw-77"


@pytest.mark.django_db
def test_an_empty_proxy_password_stays_empty(db):
    endpoint = make_hipchat(params={"notification_token": TOKEN})
    assert raw_row(endpoint.pk)[1] == ""


@pytest.mark.django_db
def test_a_value_encrypted_under_a_removed_key_is_an_error_not_an_empty_secret(settings):
    endpoint = make_hipchat(params={"notification_token": TOKEN})
    settings.SECRETS_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(ImproperlyConfigured, match="SECRETS_KEY"):
        Endpoint.objects.get(pk=endpoint.pk)


@pytest.mark.django_db
def test_rotation_reencrypts_every_secret_with_the_new_key(settings):
    old = settings.SECRETS_KEYS[0]
    endpoint = make_hipchat(params={"notification_token": TOKEN}, proxy_password="proxy-pw-77")
    before = raw_row(endpoint.pk)
    new = Fernet.generate_key().decode()
    settings.SECRETS_KEYS = [new, old]
    call_command("rotate_secrets_key")
    after = raw_row(endpoint.pk)
    new_only = Fernet(new.encode())
    assert new_only.decrypt(after[0].encode())
    assert new_only.decrypt(after[1].encode())
    assert after != before
    settings.SECRETS_KEYS = [new]  # the old key dropped: everything still reads
    endpoint = Endpoint.objects.get(pk=endpoint.pk)
    assert endpoint.parameter("notification_token") == TOKEN
    assert endpoint.proxy_password == "proxy-pw-77"


def test_generate_prints_a_usable_key(capsys):
    call_command("rotate_secrets_key", "--generate")
    key = capsys.readouterr().out.strip()
    assert Fernet(key.encode()).decrypt(Fernet(key.encode()).encrypt(b"x")) == b"x"


BEFORE = [("notifications", "0002_bindings_and_deliveries")]


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_tokens_stored_in_plain_text():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("notifications")
    executor.migrate(BEFORE)
    old_apps = executor.loader.project_state(BEFORE).apps
    OldEndpoint = old_apps.get_model("notifications", "Endpoint")
    parameters = [{"key": "notification_token", "value": TOKEN, "editable": False}]
    old = OldEndpoint.objects.create(
        name="legacy", kind="HIPCHAT", parameters=parameters, proxy_password="proxy-pw-77"
    )
    assert TOKEN in raw_row(old.pk)[0]
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(latest)
    stored, proxy_password = raw_row(old.pk)
    assert TOKEN not in stored
    assert "proxy-pw-77" not in proxy_password
    endpoint = Endpoint.objects.get(pk=old.pk)
    assert endpoint.parameters == parameters
    assert endpoint.proxy_password == "proxy-pw-77"
