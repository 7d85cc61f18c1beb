"""Requests a browser sends on behalf of another site are refused, whatever credentials
the browser attaches; scripts and collectors, which send no Origin, keep working."""

from __future__ import annotations

import base64

import pytest
from django.urls import reverse

from rules.models import Alert
from tests.factories import make_alert

pytestmark = pytest.mark.django_db

COMMAND = "/api/v1/command"
LINE = "series e:cross-site m:cpu=1"


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def post_command(client, **headers):
    return client.post(
        COMMAND,
        LINE,
        content_type="text/plain",
        HTTP_AUTHORIZATION=basic("collector", "pw-collector"),
        **headers,
    )


def test_cross_site_post_with_cached_basic_credentials_is_refused(client, collector, broker):
    response = post_command(client, HTTP_ORIGIN="https://evil.example")
    assert response.status_code == 403
    assert "Cross-site request refused" in response.json()["error"]


def test_cross_site_post_without_origin_but_with_sec_fetch_site_is_refused(
    client, collector, broker
):
    response = post_command(client, HTTP_SEC_FETCH_SITE="cross-site")
    assert response.status_code == 403


def test_cross_site_post_from_an_opaque_origin_is_refused(client, collector, broker):
    assert post_command(client, HTTP_ORIGIN="null").status_code == 403


def test_cross_site_acknowledge_with_a_session_is_refused(client, operator):
    client.force_login(operator)
    alert = make_alert()
    response = client.post(
        reverse("alert-acknowledge", args=[alert.pk]),
        {"acknowledged": "1"},
        HTTP_ORIGIN="https://evil.example",
        HTTP_SEC_FETCH_SITE="cross-site",
    )
    assert response.status_code == 403
    assert Alert.objects.get(pk=alert.pk).acknowledged is False


def test_cross_site_alert_delete_through_the_api_with_a_token_is_refused(client, administrator):
    from atsd_alerts.models import ApiToken

    _token, raw = ApiToken.issue(administrator, "script")
    alert = make_alert()
    response = client.post(
        "/api/v1/alerts/delete",
        f'[{{"id": {alert.pk}}}]',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
        HTTP_ORIGIN="https://evil.example",
    )
    assert response.status_code == 403
    assert Alert.objects.filter(pk=alert.pk).exists()


def test_collectors_that_send_no_origin_keep_working(client, collector, broker):
    response = post_command(client)
    assert response.status_code == 200
    assert response.json()["success"] == 1


def test_the_servers_own_pages_may_post(client, collector, broker):
    response = post_command(
        client, HTTP_ORIGIN="http://testserver", HTTP_SEC_FETCH_SITE="same-origin"
    )
    assert response.status_code == 200


def test_trusted_origins_behind_a_proxy_may_post(client, collector, broker, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://*.example.org"]
    assert post_command(client, HTTP_ORIGIN="https://alerts.example.org").status_code == 200
    assert post_command(client, HTTP_ORIGIN="http://alerts.example.org").status_code == 403


def test_safe_methods_are_not_checked(client, operator):
    client.force_login(operator)
    response = client.get("/alerts/open/", HTTP_ORIGIN="https://evil.example")
    assert response.status_code == 200
