"""CUSTOM form: the request's settings are checked, the password is write-only, and
the rule keys of the URL and body become editable parameters."""

import pytest

from notifications.channels.custom.form import CustomEndpointForm
from tests.unit.channels.forms import bound, post_data

pytestmark = pytest.mark.django_db

BODY = '{"title": "${incident_name}", "details": "${detailsTable(\'ascii\')}"}'


def form_data(**overrides: str) -> dict[str, str]:
    parameters = {
        "method": "POST", "content_type": "application/json",
        "url": "https://api.example.org/services/${service_id}/incidents",
        "headers": "Authorization: Token token=1", "body": BODY, "auth_type": "NONE",
        "username": "", "password": "", "aws_region": "", "aws_service": "", "link_type": "",
    }  # fmt: skip
    return post_data("pd", parameters, **overrides)


def _form(data, instance=None):
    return bound(CustomEndpointForm, data, instance)


def test_a_saved_request_gets_its_placeholders_as_editable_rule_keys():
    form = _form(form_data())
    assert form.is_valid(), form.errors
    endpoint = form.save()
    assert endpoint.kind == "CUSTOM"
    assert endpoint.parameter("url").endswith("/${service_id}/incidents")
    assert endpoint.editable_keys() == ["service_id", "incident_name", "detailsTable('ascii')"]


def test_a_url_that_is_not_http_or_a_placeholder_is_refused():
    assert "param_url" in _form(form_data(param_url="ftp://x.example.org")).errors
    assert _form(form_data(param_url="${ENV.NOTIFY_URL}")).is_valid()


def test_basic_and_sigv4_need_a_username():
    form = _form(form_data(param_auth_type="BASIC"))
    assert "param_username" in form.errors


def test_a_body_that_would_not_be_json_is_a_warning_not_an_error():
    form = _form(form_data(param_body='{"a": ${value}'))
    assert form.is_valid()
    assert any("not JSON" in w for w in form.warnings)


def test_the_password_is_never_rendered_and_a_blank_keeps_it():
    form = _form(form_data(param_auth_type="BASIC", param_username="u", param_password="pw-1"))
    assert form.is_valid(), form.errors
    endpoint = form.save()
    assert "pw-1" not in CustomEndpointForm(instance=endpoint).as_p()
    data = form_data(param_auth_type="BASIC", param_username="u", param_password="")
    again = _form(data, instance=endpoint)
    assert again.is_valid(), again.errors
    assert again.save().parameter("password") == "pw-1"
