"""HIPCHAT form validation and write-only secrets, without HTTP."""

import pytest

from notifications.channels.hipchat.form import HipChatEndpointForm
from notifications.models import Endpoint
from tests.unit.channels.hipchat.factories import form_data, make_hipchat

pytestmark = pytest.mark.django_db


def _form(data, instance=None):
    return HipChatEndpointForm(data, instance=instance or Endpoint(kind="HIPCHAT"))


def test_a_complete_form_saves_parameters_in_form_order_with_editable_flags():
    form = _form(form_data())
    assert form.is_valid(), form.errors
    endpoint = form.save()
    assert [p["key"] for p in endpoint.parameters] == list(HipChatEndpointForm.parameter_keys())
    assert endpoint.parameter("notification_token") == "notif-secret-1"
    assert endpoint.editable_keys() == ["room", "message"]
    assert endpoint.kind == "HIPCHAT"
    assert endpoint.enabled is True


def test_new_form_defaults_room_and_message_editable_tokens_fixed():
    form = HipChatEndpointForm(instance=Endpoint(kind="HIPCHAT"))
    assert form.initial["editable_room"] is True
    assert form.initial["editable_message"] is True
    assert form.initial["editable_auth_token"] is False
    assert form.initial["base_url"] == "https://api.hipchat.com"


@pytest.mark.parametrize(
    "url", ["ftp://hipchat.example.org", "hipchat.example.org", "https://", "javascript:alert(1)"]
)
def test_it_rejects_an_endpoint_url_that_is_not_http(url):
    form = _form(form_data(base_url=url))
    assert not form.is_valid()
    assert "base_url" in form.errors


def test_it_accepts_a_hipchat_server_url_with_port_and_path():
    form = _form(form_data(base_url="http://10.0.0.5:8080/hipchat-gw"))
    assert form.is_valid(), form.errors


@pytest.mark.parametrize("url", ["socks5://proxy:1080", "http://proxy:3128", "https://p:443"])
def test_it_accepts_http_https_socks5_proxies(url):
    assert _form(form_data(proxy_url=url)).is_valid()


def test_it_rejects_a_proxy_with_another_scheme():
    form = _form(form_data(proxy_url="ftp://proxy:21"))
    assert not form.is_valid()
    assert "socks5://" in form.errors["proxy_url"][0]


def test_bot_username_longer_than_64_is_an_error():
    form = _form(form_data(param_from="x" * 65))
    assert not form.is_valid()
    assert "param_from" in form.errors
    assert _form(form_data(param_from="x" * 64)).is_valid()


def test_without_notification_or_auth_token_it_cannot_save():
    form = _form(form_data(param_notification_token=""))
    assert not form.is_valid()
    assert "Notification Token or an Auth Token" in form.errors["param_notification_token"][0]


def test_an_auth_token_alone_is_enough_and_gives_no_warning():
    form = _form(form_data(param_notification_token="", param_auth_token="both-scopes"))
    assert form.is_valid(), form.errors
    assert form.warnings == []


def test_a_notification_token_alone_saves_with_a_warning_about_files():
    form = _form(form_data())
    assert form.is_valid()
    assert any("send_message" in w for w in form.warnings)


def test_a_room_is_required():
    form = _form(form_data(param_room=""))
    assert not form.is_valid()
    assert "param_room" in form.errors


def test_ca_bundle_must_be_pem_text_not_a_path():
    form = _form(form_data(ca_bundle="/etc/ssl/certs/ca.pem"))
    assert not form.is_valid()
    assert "PEM" in form.errors["ca_bundle"][0]


def test_blank_token_on_edit_keeps_the_stored_token():
    endpoint = make_hipchat(params={"notification_token": "stored-n", "message_token": "stored-m"})
    form = _form(form_data(param_notification_token="", param_from="new"), instance=endpoint)
    assert form.is_valid(), form.errors
    form.save()
    endpoint.refresh_from_db()
    assert endpoint.parameter("notification_token") == "stored-n"
    assert endpoint.parameter("message_token") == "stored-m"
    assert endpoint.parameter("from") == "new"


def test_a_typed_token_replaces_and_clear_removes_the_stored_one():
    endpoint = make_hipchat(params={"notification_token": "old", "message_token": "old-m"})
    data = form_data(param_notification_token="new", clear_message_token="on")
    form = _form(data, instance=endpoint)
    assert form.is_valid(), form.errors
    form.save()
    endpoint.refresh_from_db()
    assert endpoint.parameter("notification_token") == "new"
    assert endpoint.parameter("message_token") == ""


def test_blank_proxy_password_keeps_the_stored_one():
    endpoint = make_hipchat(
        params={"notification_token": "n"}, proxy_url="http://p:3128", proxy_password="pp"
    )
    form = _form(form_data(proxy_url="http://p:3128"), instance=endpoint)
    assert form.is_valid(), form.errors
    assert form.save().proxy_password == "pp"


def test_secret_inputs_never_render_a_value():
    endpoint = make_hipchat(
        params={"notification_token": "tok-n-123", "auth_token": "tok-a-456"},
        proxy_password="pp-789",
    )
    html = str(HipChatEndpointForm(instance=endpoint).as_p())
    for secret in ("tok-n-123", "tok-a-456", "pp-789"):
        assert secret not in html
    # Also after a failed POST that typed a new token.
    bound = _form(form_data(param_notification_token="typed-999", param_room=""), endpoint)
    assert not bound.is_valid()
    assert "typed-999" not in str(bound.as_p())


def test_add_links_to_portals_is_stored_as_text_and_rendered_unchecked_for_false():
    endpoint = _form(form_data(param_add_links_to_portals="on"))
    assert endpoint.is_valid()
    assert endpoint.save().parameter("add_links_to_portals") == "true"
    stored_false = make_hipchat("x", params={"notification_token": "n"})
    html = str(HipChatEndpointForm(instance=stored_false)["param_add_links_to_portals"])
    assert "checked" not in html
