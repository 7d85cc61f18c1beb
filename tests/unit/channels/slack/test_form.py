"""SLACK form validation and the write-only token, without HTTP."""

import pytest

from notifications.channels.slack.form import SlackEndpointForm
from notifications.models import Endpoint
from tests.unit.channels.slack.factories import TOKEN, form_data, make_slack

pytestmark = pytest.mark.django_db


def _form(data, instance=None):
    return SlackEndpointForm(data, instance=instance or Endpoint(kind="SLACK"))


def test_a_complete_form_saves_parameters_in_form_order_with_editable_flags():
    form = _form(form_data())
    assert form.is_valid(), form.errors
    endpoint = form.save()
    assert [p["key"] for p in endpoint.parameters] == list(SlackEndpointForm.parameter_keys())
    assert endpoint.editable_keys() == ["channels", "text"]
    assert endpoint.parameter("token") == TOKEN
    assert endpoint.parameter("link_names") == "false"
    assert form.warnings == []


def test_a_new_form_points_at_slacks_api_with_channels_and_text_editable():
    form = SlackEndpointForm(instance=Endpoint(kind="SLACK"))
    assert form.initial["base_url"] == "https://slack.com/api"
    assert form.initial["editable_channels"] is True
    assert form.initial["editable_text"] is True
    assert form.initial["editable_token"] is False


def test_without_a_token_it_cannot_save():
    form = _form(form_data(param_token=""))
    assert not form.is_valid()
    assert "param_token" in form.errors


@pytest.mark.parametrize("channels", ["", " , ,"])
def test_at_least_one_channel_is_required(channels):
    form = _form(form_data(param_channels=channels))
    assert not form.is_valid()
    assert "param_channels" in form.errors


def test_an_unknown_parse_mode_is_refused():
    form = _form(form_data(param_parse="markdown"))
    assert not form.is_valid()
    assert "param_parse" in form.errors


def test_a_user_token_saves_with_a_warning():
    form = _form(form_data(param_token="xoxp-user-token"))
    assert form.is_valid(), form.errors
    [warning] = form.warnings
    assert "not a bot token" in warning


def test_the_token_is_never_rendered_and_blank_keeps_the_stored_one():
    endpoint = make_slack()
    form = _form(form_data(param_token=""), instance=endpoint)
    assert TOKEN not in form.as_p()
    assert form.is_valid(), form.errors
    assert form.save().parameter("token") == TOKEN


def test_validation_on_import_does_not_require_the_token():
    values = {"channels": "alerts", "token": ""}
    assert SlackEndpointForm.validate_parameters(values, require_secrets=False) == {}
