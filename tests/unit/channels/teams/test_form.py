"""TEAMS form: the webhook URL is a write-only secret."""

import pytest

from notifications.channels.teams.form import TeamsEndpointForm
from notifications.models import Endpoint
from tests.unit.channels.teams.factories import WEBHOOK_URL, form_data, make_teams

pytestmark = pytest.mark.django_db


def _form(data, instance=None):
    return TeamsEndpointForm(data, instance=instance or Endpoint(kind="TEAMS"))


def test_a_complete_form_saves_the_url_and_the_editable_text():
    form = _form(form_data())
    assert form.is_valid(), form.errors
    endpoint = form.save()
    assert endpoint.parameter("webhook_url") == WEBHOOK_URL
    assert endpoint.editable_keys() == ["text"]


def test_without_a_url_it_cannot_save():
    form = _form(form_data(param_webhook_url=""))
    assert not form.is_valid()
    assert "param_webhook_url" in form.errors


def test_a_url_that_is_not_http_is_refused():
    form = _form(form_data(param_webhook_url="teams://channel/1"))
    assert not form.is_valid()
    assert "param_webhook_url" in form.errors


def test_the_url_is_never_rendered_and_blank_keeps_it():
    endpoint = make_teams()
    form = _form(form_data(param_webhook_url=""), instance=endpoint)
    assert "secret-signature" not in form.as_p()
    assert form.is_valid(), form.errors
    assert form.save().parameter("webhook_url") == WEBHOOK_URL
