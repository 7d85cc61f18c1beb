"""Web Notifications pages through the Django test client; Test against the real fake HipChat."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from devtools.fakes.hipchat import running_fake
from notifications.models import Endpoint
from tests.unit.channels.hipchat.factories import form_data, make_hipchat

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "endpoints"
HELLO = "Hello from Axibase Time Series Database"


def _stored(**params) -> Endpoint:
    defaults = {"notification_token": "stored-notif-7f3a", "message_token": "stored-msg-91bc"}
    return make_hipchat(params={**defaults, **params}, proxy_password="stored-proxy-55e2")


# ------------------------------------------------------------------ list and access


def test_operators_see_the_list_without_editing_controls(operator_client):
    _stored()
    html = operator_client.get(reverse("endpoint-list")).content.decode()
    assert "hc" in html
    assert "HIPCHAT" in html
    assert "Ops Alerts" in html
    assert reverse("endpoint-choose-kind") not in html
    assert reverse("endpoint-edit", args=[1]) not in html


def test_operators_get_403_on_every_editing_view(operator_client):
    endpoint = _stored()
    for url in (
        reverse("endpoint-choose-kind"),
        reverse("endpoint-create", args=["HIPCHAT"]),
        reverse("endpoint-edit", args=[endpoint.pk]),
        reverse("endpoint-delete", args=[endpoint.pk]),
        reverse("endpoint-import"),
        reverse("endpoint-export"),
        reverse("endpoint-export-one", args=[endpoint.pk]),
    ):
        assert operator_client.get(url).status_code == 403, url
        assert operator_client.post(url).status_code == 403, url
    for url in (
        reverse("endpoint-test", args=[endpoint.pk]),
        reverse("endpoint-test-new", args=["HIPCHAT"]),
        reverse("endpoint-secret", args=[endpoint.pk, "notification_token"]),
    ):
        assert operator_client.post(url).status_code == 403, url


def test_choose_type_offers_every_kind_and_says_aws_api_is_stored_not_sent(admin_client):
    html = admin_client.get(reverse("endpoint-choose-kind")).content.decode()
    assert reverse("endpoint-create", args=["HIPCHAT"]) in html
    for kind in ("SLACK", "TELEGRAM", "CUSTOM", "AWS-SNS", "AWS-SQS", "AZURE-SB", "GCP-PS"):
        assert reverse("endpoint-create", args=[kind]) in html, kind
    # AWS-API has a form (import, edit, export) but no sender.
    assert reverse("endpoint-create", args=["AWS-API"]) in html
    assert 'AWS API <span class="help">(stored, not sent)</span>' in html
    assert "planned" not in html
    assert admin_client.get(reverse("endpoint-create", args=["SLACK"])).status_code == 200
    assert admin_client.get(reverse("endpoint-create", args=["AWS-SNS"])).status_code == 200


def test_operators_can_read_the_notification_log(operator_client):
    response = operator_client.get(reverse("notification-log"))
    assert response.status_code == 200
    assert "Notification Log" in response.content.decode()


# --------------------------------------------------------------------- create / edit


def test_admin_creates_an_endpoint_and_sees_it_in_the_list(admin_client):
    response = admin_client.post(reverse("endpoint-create", args=["HIPCHAT"]), form_data())
    assert response.status_code == 302
    endpoint = Endpoint.objects.get(name="hc")
    assert endpoint.parameter("notification_token") == "notif-secret-1"
    html = admin_client.get(reverse("endpoint-list")).content.decode()
    assert "Endpoint hc saved." in html
    assert "chart images and details tables" in html  # the no-message-token warning
    assert "notif-secret-1" not in html


def test_invalid_form_shows_field_errors(admin_client):
    data = form_data(base_url="ftp://x", param_from="y" * 65, param_notification_token="")
    response = admin_client.post(reverse("endpoint-create", args=["HIPCHAT"]), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Endpoint URL must start with http://, https://" in html
    assert "at most 64 characters" in html
    assert "A Notification Token or an Auth Token is required" in html
    assert not Endpoint.objects.exists()


def test_the_edit_page_never_contains_a_stored_secret(admin_client):
    endpoint = _stored(auth_token="stored-auth-3d4e")
    html = admin_client.get(reverse("endpoint-edit", args=[endpoint.pk])).content.decode()
    for secret in ("stored-notif-7f3a", "stored-msg-91bc", "stored-auth-3d4e", "stored-proxy-55e2"):
        assert secret not in html
    assert "stored; leave blank to keep" in html
    assert reverse("endpoint-secret", args=[endpoint.pk, "notification_token"]) in html
    assert 'type="password"' in html


def test_saving_with_blank_token_inputs_keeps_the_stored_tokens(admin_client):
    endpoint = _stored()
    data = form_data(param_notification_token="", description="changed")
    response = admin_client.post(reverse("endpoint-edit", args=[endpoint.pk]), data)
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.description == "changed"
    assert endpoint.parameter("notification_token") == "stored-notif-7f3a"
    assert endpoint.parameter("message_token") == "stored-msg-91bc"
    assert endpoint.proxy_password == "stored-proxy-55e2"


def test_show_reveals_a_stored_secret_to_administrators_by_post_only(admin_client):
    endpoint = _stored()
    url = reverse("endpoint-secret", args=[endpoint.pk, "notification_token"])
    response = admin_client.post(url)
    assert response.json() == {"key": "notification_token", "value": "stored-notif-7f3a"}
    assert "no-store" in response["Cache-Control"]
    assert admin_client.get(url).status_code == 405
    proxy = admin_client.post(reverse("endpoint-secret", args=[endpoint.pk, "proxy_password"]))
    assert proxy.json()["value"] == "stored-proxy-55e2"
    room = admin_client.post(reverse("endpoint-secret", args=[endpoint.pk, "room"]))
    assert room.status_code == 404


def test_show_is_forbidden_to_operators(operator_client):
    endpoint = _stored()
    url = reverse("endpoint-secret", args=[endpoint.pk, "notification_token"])
    response = operator_client.post(url)
    assert response.status_code == 403
    assert b"stored-notif-7f3a" not in response.content


def test_delete_asks_then_deletes_on_post(admin_client):
    endpoint = _stored()
    url = reverse("endpoint-delete", args=[endpoint.pk])
    assert b"Delete endpoint hc?" in admin_client.get(url).content
    assert Endpoint.objects.exists()
    assert admin_client.post(url).status_code == 302
    assert not Endpoint.objects.exists()


# ------------------------------------------------------------------- Test button


@pytest.fixture
def room_and_token(hipchat_fake):
    room = hipchat_fake.add_room("Ops Alerts")
    token = hipchat_fake.add_token(scopes=["send_notification", "send_message"])
    return hipchat_fake, room, token


def _test_json(client, data, endpoint=None):
    url = (
        reverse("endpoint-test", args=[endpoint.pk])
        if endpoint
        else reverse("endpoint-test-new", args=["HIPCHAT"])
    )
    response = client.post(url, data)
    assert response.status_code == 200
    return response.json(), response.content.decode()


def test_test_button_sends_hello_with_unsaved_values(admin_client, room_and_token):
    fake, room, token = room_and_token
    data = form_data(base_url=fake.url, param_notification_token=token, param_from="atsd-bot")
    result, raw = _test_json(admin_client, data)
    assert result["ok"] is True
    assert result["status"] == 204
    assert token not in raw
    [request] = fake.room_messages(room)
    assert request.json["message"] == HELLO
    assert request.json["from"] == "atsd-bot"
    assert request.auth_method == "header"
    assert not Endpoint.objects.exists(), "Test saves nothing"


def test_test_on_edit_uses_the_stored_token_when_the_input_is_blank(admin_client, room_and_token):
    fake, room, token = room_and_token
    endpoint = make_hipchat(base_url=fake.url, params={"notification_token": token})
    data = form_data(base_url=fake.url, param_notification_token="", param_room="Ops Alerts")
    result, raw = _test_json(admin_client, data, endpoint)
    assert result["ok"] is True, result
    assert token not in raw
    assert len(fake.room_messages(room)) == 1


def test_test_reports_401_invalid_oauth_session(admin_client, room_and_token):
    fake, _room, _token = room_and_token
    data = form_data(base_url=fake.url, param_notification_token="not-a-real-token")
    result, raw = _test_json(admin_client, data)
    assert result["ok"] is False
    assert result["status"] == 401
    assert "Invalid OAuth session" in result["message"]
    assert "not-a-real-token" not in raw


def test_test_reports_403_missing_scope(admin_client, room_and_token):
    fake, _room, _token = room_and_token
    viewer = fake.add_token(scopes=["view_room"])
    data = form_data(base_url=fake.url, param_notification_token="", param_auth_token=viewer)
    result, raw = _test_json(admin_client, data)
    assert result["status"] == 403
    assert "send_notification" in result["message"]
    assert viewer not in raw


def test_test_reports_404_room_not_found(admin_client, room_and_token):
    fake, _room, token = room_and_token
    data = form_data(base_url=fake.url, param_notification_token=token, param_room="Nowhere")
    result, _raw = _test_json(admin_client, data)
    assert result["status"] == 404
    assert "Room not found" in result["message"]


def test_test_shows_a_400_with_the_field_in_the_page_without_javascript(admin_client):
    # Early v2 servers allowed only 25 characters in "from" (hipchat-v2.md §1.1).
    with running_fake(from_max=25) as fake:
        room = fake.add_room("Ops Alerts")
        token = fake.add_token()
        data = form_data(
            base_url=fake.url, param_notification_token=token, param_from="b" * 30, test="1"
        )
        response = admin_client.post(reverse("endpoint-create", args=["HIPCHAT"]), data)
        assert fake.room_messages(room) == []
    html = response.content.decode()
    assert response.status_code == 200
    assert "Test failed (HTTP 400)" in html
    assert "(field from)" in html
    assert token not in html
    assert not Endpoint.objects.exists()


def test_test_without_javascript_shows_success_in_the_page(admin_client, room_and_token):
    fake, room, token = room_and_token
    data = form_data(base_url=fake.url, param_notification_token=token, test="1")
    html = admin_client.post(reverse("endpoint-create", args=["HIPCHAT"]), data).content.decode()
    assert "Test succeeded (HTTP 204)" in html
    assert token not in html
    assert len(fake.room_messages(room)) == 1


def test_test_with_form_errors_sends_nothing_and_says_why(admin_client, room_and_token):
    fake, _room, token = room_and_token
    data = form_data(base_url="ftp://x", param_notification_token=token)
    result, _raw = _test_json(admin_client, data)
    assert result["ok"] is False
    assert result["status"] is None
    assert "base_url" in result["errors"]
    assert fake.log == []


def test_test_does_not_need_a_name(admin_client, room_and_token):
    fake, room, token = room_and_token
    result, _raw = _test_json(
        admin_client, form_data(name="", base_url=fake.url, param_notification_token=token)
    )
    assert result["ok"] is True
    assert len(fake.room_messages(room)) == 1


def test_test_over_tls_trusts_the_pasted_ca_bundle(admin_client, hipchat_tls_fake):
    fake = hipchat_tls_fake
    room = fake.add_room("Ops Alerts")
    token = fake.add_token()
    untrusted, _raw = _test_json(
        admin_client, form_data(base_url=fake.url, param_notification_token=token)
    )
    assert untrusted["ok"] is False
    assert untrusted["status"] is None
    pem = Path(fake.ca_bundle).read_text()
    data = form_data(base_url=fake.url, param_notification_token=token, ca_bundle=pem)
    trusted, _raw = _test_json(admin_client, data)
    assert trusted["ok"] is True, trusted
    assert len(fake.room_messages(room)) == 1


# ------------------------------------------------------------------ import / export


def test_export_page_omits_secrets_unless_asked(admin_client):
    endpoint = _stored()
    response = admin_client.get(reverse("endpoint-export-one", args=[endpoint.pk]))
    assert response["Content-Disposition"] == 'attachment; filename="hc-notification.xml"'
    assert b"stored-notif-7f3a" not in response.content
    assert b"<type>HIPCHAT</type>" in response.content
    full = admin_client.get(reverse("endpoint-export") + "?include_secrets=1")
    assert b"stored-notif-7f3a" in full.content


def test_import_page_lists_imported_and_unsupported_endpoints(admin_client):
    upload = SimpleUploadedFile("mixed.xml", (FIXTURES / "mixed-notification.xml").read_bytes())
    response = admin_client.post(reverse("endpoint-import"), {"file": upload})
    html = response.content.decode()
    assert response.status_code == 200
    # HIPCHAT, CUSTOM, SLACK and AWS-API (stored, not sent) import; PagerConfig does not.
    assert "4 imported, 1 unsupported" in html
    assert "unsupported, not imported" in html
    assert "stored, not sent" in html
    assert "AwsApiNotificationConfig" in html
    assert "aws-test" in html
    assert Endpoint.objects.filter(name="hc-2017").exists()
    assert Endpoint.objects.filter(name="custom-hook", kind="CUSTOM").exists()
    assert Endpoint.objects.filter(name="slack-ops", kind="SLACK").exists()


def test_the_list_shows_where_a_slack_endpoint_sends(admin_client):
    upload = SimpleUploadedFile("slack.xml", (FIXTURES / "slack-notification.xml").read_bytes())
    assert admin_client.post(reverse("endpoint-import"), {"file": upload}).status_code == 200
    html = admin_client.get(reverse("endpoint-list")).content.decode()
    assert "<td>alerts,ops</td>" in html


def test_import_page_shows_why_a_file_was_refused(admin_client):
    data = (FIXTURES / "external-entity-notification.xml").read_bytes()
    upload = SimpleUploadedFile("evil.xml", data)
    response = admin_client.post(reverse("endpoint-import"), {"file": upload})
    assert response.status_code == 400
    assert "nothing changed" in response.content.decode()
    assert "external" in response.content.decode()
    assert not Endpoint.objects.exists()
