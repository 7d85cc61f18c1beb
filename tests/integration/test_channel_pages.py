"""The endpoint pages of Telegram, Webhook and Custom: each kind is offered, its form
renders, and **Test** sends with the unsaved form values into that kind's fake."""

from __future__ import annotations

import pytest
from django.urls import reverse

from devtools.fakes.custom import running_custom_api
from devtools.fakes.telegram import running_telegram
from devtools.fakes.webhook import running_webhook
from tests.unit.channels.forms import post_data
from tests.unit.channels.telegram.factories import BOT_TOKEN, CHAT_ID, bot_and_chat

pytestmark = pytest.mark.integration

TEST_TEXT = "Hello from Axibase Time Series Database"


def _test(client, kind: str, data: dict[str, str]) -> dict:
    response = client.post(reverse("endpoint-test-new", args=[kind]), data)
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize(("kind", "field"), [
    ("TELEGRAM", "param_chat_id"), ("WEBHOOK", "param_secret"), ("CUSTOM", "param_body"),
])  # fmt: skip
def test_each_kind_is_offered_and_its_form_renders(admin_client, kind, field):
    assert (
        reverse("endpoint-create", args=[kind])
        in admin_client.get(reverse("endpoint-choose-kind")).content.decode()
    )
    page = admin_client.get(reverse("endpoint-create", args=[kind]))
    assert page.status_code == 200
    assert f'name="{field}"' in page.content.decode()


def test_telegram_test_posts_hello_into_the_chat(admin_client):
    with running_telegram() as fake:
        bot_and_chat(fake)
        params = {"bot_id": BOT_TOKEN, "chat_id": str(CHAT_ID), "parse_mode": "Markdown"}
        result = _test(admin_client, "TELEGRAM", post_data("tg", params, base_url=fake.url))
        [posted] = fake.messages(CHAT_ID)
    assert (result["ok"], result["status"]) == (True, 200)
    assert posted.text == TEST_TEXT
    assert BOT_TOKEN not in str(result)


def test_webhook_and_custom_tests_send_their_requests(admin_client):
    with running_webhook(secret="s1") as hook, running_custom_api(basic=("u", "p")) as api:
        webhook = post_data("hook", {"content_type": "application/json", "secret": "s1"},
                            base_url=hook.hook_url)  # fmt: skip
        custom = post_data("pd", {
            "method": "POST", "content_type": "application/json", "url": f"{api.url}/incidents",
            "body": '{"title": "test"}', "auth_type": "BASIC", "username": "u", "password": "p",
        })  # fmt: skip
        assert _test(admin_client, "WEBHOOK", webhook)["ok"] is True
        assert _test(admin_client, "CUSTOM", custom)["status"] == 201
        assert hook.received()[0].json == {"message": TEST_TEXT}
        assert api.received()[0].json == {"title": "test"}
