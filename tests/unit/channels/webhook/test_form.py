"""WEBHOOK form: the URL is required, the content type one of two, the secret write-only."""

import pytest

from notifications.channels.webhook.form import WebhookEndpointForm
from notifications.models import Endpoint
from tests.unit.channels.forms import bound, post_data
from tests.unit.channels.webhook.factories import SECRET, make_webhook

pytestmark = pytest.mark.django_db


def form_data(**overrides: str) -> dict[str, str]:
    parameters = {"content_type": "application/json", "secret": SECRET}
    return post_data(
        "hook", parameters, **{"base_url": "https://hooks.example.org/atsd", **overrides}
    )


def _form(data, instance=None):
    return bound(WebhookEndpointForm, data, instance)


def test_a_complete_form_saves_the_url_content_type_and_secret():
    form = _form(form_data(param_content_type="application/x-www-form-urlencoded"))
    assert form.is_valid(), form.errors
    endpoint = form.save()
    assert (endpoint.kind, endpoint.base_url) == ("WEBHOOK", "https://hooks.example.org/atsd")
    assert endpoint.parameter("content_type") == "application/x-www-form-urlencoded"
    assert endpoint.parameter("secret") == SECRET


def test_the_url_is_required_and_must_be_http():
    assert "base_url" in _form(form_data(base_url="")).errors
    assert "base_url" in _form(form_data(base_url="ftp://hooks.example.org")).errors
    assert WebhookEndpointForm(instance=Endpoint(kind="WEBHOOK")).fields["base_url"].label == "URL"


def test_an_unknown_content_type_is_refused_and_the_secret_is_optional():
    assert "param_content_type" in _form(form_data(param_content_type="text/xml")).errors
    assert _form(form_data(param_secret="")).is_valid()


def test_the_secret_is_never_rendered_and_blank_keeps_it():
    endpoint = make_webhook()
    assert SECRET not in WebhookEndpointForm(instance=endpoint).as_p()
    form = _form(form_data(param_secret=""), instance=endpoint)
    assert form.is_valid(), form.errors
    assert form.save().parameter("secret") == SECRET
