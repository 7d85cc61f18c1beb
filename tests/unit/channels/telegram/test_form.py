"""TELEGRAM form validation and the write-only token, without HTTP."""

import pytest

from notifications.channels.telegram.form import TelegramEndpointForm
from notifications.models import Endpoint
from tests.unit.channels.forms import bound, post_data
from tests.unit.channels.telegram.factories import BOT_TOKEN, make_telegram

pytestmark = pytest.mark.django_db


def form_data(**overrides: str) -> dict[str, str]:
    parameters = {
        "bot_id": BOT_TOKEN, "chat_id": "-1001234567890", "text": "", "parse_mode": "Markdown",
        "disable_notification": "on", "disable_web_page_preview": "",
        "details_table_format": "ascii",
    }  # fmt: skip
    fields = {
        "base_url": "https://api.telegram.org",
        "editable_chat_id": "on",
        "editable_text": "on",
    }
    return post_data("tg", parameters, **{**fields, **overrides})


def _form(data, instance=None):
    return bound(TelegramEndpointForm, data, instance)


def test_a_complete_form_saves_the_parameters_with_chat_and_text_editable():
    form = _form(form_data())
    assert form.is_valid(), form.errors
    endpoint = form.save()
    assert endpoint.kind == "TELEGRAM"
    assert [p["key"] for p in endpoint.parameters] == list(TelegramEndpointForm.parameter_keys())
    assert endpoint.editable_keys() == ["chat_id", "text"]
    assert endpoint.parameter("disable_notification") == "true"
    assert endpoint.parameter("disable_web_page_preview") == "false"
    assert endpoint.parameter("bot_id") == BOT_TOKEN


def test_a_new_form_defaults_to_the_public_api_and_markdown():
    form = TelegramEndpointForm(instance=Endpoint(kind="TELEGRAM"))
    assert form.initial["base_url"] == "https://api.telegram.org"
    assert form.initial["param_parse_mode"] == "Markdown"
    assert form.initial["editable_bot_id"] is False


@pytest.mark.parametrize("chat", ["@ops_alerts", "-1001234567890", "42", "${tags.chat}"])
def test_chat_ids_of_every_documented_shape_are_accepted(chat):
    assert _form(form_data(param_chat_id=chat)).is_valid()


@pytest.mark.parametrize("chat", ["ops_alerts", "@ab", "-12x", "https://t.me/ops"])
def test_a_chat_id_of_no_documented_shape_is_refused(chat):
    form = _form(form_data(param_chat_id=chat))
    assert not form.is_valid()
    assert "param_chat_id" in form.errors


def test_the_token_is_required_checked_and_never_rendered_back():
    assert "param_bot_id" in _form(form_data(param_bot_id="")).errors
    assert "param_bot_id" in _form(form_data(param_bot_id="not-a-token")).errors
    endpoint = make_telegram()
    page = TelegramEndpointForm(instance=endpoint).as_p()
    assert BOT_TOKEN not in page


def test_a_blank_token_on_edit_keeps_the_stored_one():
    endpoint = make_telegram()
    form = _form(form_data(param_bot_id=""), instance=endpoint)
    assert form.is_valid(), form.errors
    assert form.save().parameter("bot_id") == BOT_TOKEN
