"""DISCORD form: the Webhook URL split into id and token on save, then gone."""

import pytest

from notifications.channels.discord.form import DiscordEndpointForm
from notifications.models import Endpoint
from tests.unit.channels.discord.factories import (
    WEBHOOK_ID,
    WEBHOOK_TOKEN,
    WEBHOOK_URL,
    form_data,
    make_discord,
)

pytestmark = pytest.mark.django_db


def _form(data, instance=None):
    return DiscordEndpointForm(data, instance=instance or Endpoint(kind="DISCORD"))


def test_the_webhook_url_is_split_into_id_and_token_and_not_stored():
    form = _form(form_data())
    assert form.is_valid(), form.errors
    endpoint = form.save()
    assert endpoint.parameter("webhook_id") == WEBHOOK_ID
    assert endpoint.parameter("webhook_token") == WEBHOOK_TOKEN
    assert [p["key"] for p in endpoint.parameters] == list(DiscordEndpointForm.parameter_keys())
    assert endpoint.editable_keys() == ["content"]
    assert WEBHOOK_URL not in str(endpoint.parameters)


@pytest.mark.parametrize(
    "url",
    [
        f"https://discordapp.com/api/webhooks/{WEBHOOK_ID}/{WEBHOOK_TOKEN}",
        f"https://discord.com/api/v10/webhooks/{WEBHOOK_ID}/{WEBHOOK_TOKEN}/",
    ],
)
def test_older_hosts_and_versioned_paths_split_too(url):
    form = _form(form_data(webhook_url=url))
    assert form.is_valid(), form.errors
    assert form.save().parameter("webhook_token") == WEBHOOK_TOKEN


def test_a_url_that_is_not_a_webhook_is_refused():
    form = _form(form_data(webhook_url="https://discord.com/channels/1/2"))
    assert not form.is_valid()
    assert "webhook_url" in form.errors


def test_without_url_or_stored_token_it_cannot_save():
    form = _form(form_data(webhook_url=""))
    assert not form.is_valid()
    assert "param_webhook_token" in form.errors


def test_on_edit_a_blank_url_keeps_the_stored_webhook():
    endpoint = make_discord()
    form = _form(form_data(webhook_url="", param_username="ops"), instance=endpoint)
    assert form.is_valid(), form.errors
    saved = form.save()
    assert saved.parameter("webhook_token") == WEBHOOK_TOKEN
    assert saved.parameter("username") == "ops"


@pytest.mark.parametrize("username", ["Discord Bot", "clyde", "x" * 81])
def test_usernames_discord_refuses_are_refused(username):
    form = _form(form_data(param_username=username))
    assert not form.is_valid()
    assert "param_username" in form.errors


def test_the_url_input_never_renders_the_token():
    endpoint = make_discord()
    html = _form(form_data(), instance=endpoint).as_p()
    assert WEBHOOK_TOKEN not in html
    assert '<input type="password" name="webhook_url"' in html


def test_saving_warns_that_charts_are_public_by_url():
    form = _form(form_data())
    assert form.is_valid(), form.errors
    [warning] = form.warnings
    assert "anyone holding their URL" in warning
