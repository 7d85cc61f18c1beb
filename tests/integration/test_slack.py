"""Slack end to end: a rule's OPEN, REPEAT and CANCEL through a real notify worker on
real Redis into the fake Slack Web API, with the details table and the chart.

Triggers come from the in-process engine stored through the engine worker's store path
(``tests.unit.delivery.factories``). Every wait polls with a timeout.
"""

from __future__ import annotations

import base64
import itertools
import re

import pytest
from django.urls import reverse

from devtools.fakes.service import Reply
from devtools.fakes.slack import SlackFake, slack_error, slack_rate_limited
from notifications.endpoints.trial import TEST_TEXT
from notifications.models import Delivery, DeliveryAttempt, RuleNotification
from notifications.screenshots.pool import reset_pool
from rules.models.rule import Rule
from rules.rulesxml import import_rules
from tests.corpus import CORPUS, corpus_file
from tests.engine_helpers import poll
from tests.integration.channel_sends import (
    PNG_SIGNATURE,
    charts_from,
    temperature_history,
    text_binding,
)
from tests.unit.channels.slack.factories import TOKEN, form_data, make_slack
from tests.unit.delivery.factories import (
    OPEN_TEXT,
    RULE,
    SERVER_URL,
    at,
    engine_run,
)

pytestmark = pytest.mark.integration

LINK = f"<{SERVER_URL}/rule/edit.xhtml?name={RULE}|{RULE}>"


@pytest.fixture(autouse=True)
def server_settings(settings):
    settings.SERVER_URL = SERVER_URL
    settings.TIME_ZONE = "UTC"
    return settings


@pytest.fixture
def slack(slack_fake: SlackFake, transactional_db) -> SlackFake:
    """The fake with the endpoint's token and channel, and a SLACK endpoint pointing at it."""
    slack_fake.add_token(TOKEN)
    slack_fake.add_channel("alerts")
    make_slack(base_url=slack_fake.api_url)
    return slack_fake


def test_open_repeat_cancel_arrive_in_order_with_details_and_chart(
    slack, notify_worker, live_server, settings
):
    charts_from(settings, live_server)
    text_binding("slack", "text", open_details=True, open_screenshot=True)
    temperature_history()
    run = engine_run()
    for i, value in enumerate((55, 60, 70, 20)):  # avg of [60, 70, 20] is 50: CANCEL
        run.series(value, at(0, i))
    # OPEN: text, details, chart; two REPEATs; CANCEL.
    poll(lambda: len(slack.messages("alerts")) >= 6, timeout=90, what="6 messages")
    reset_pool()

    text, details, chart, *later = slack.messages("alerts")
    assert text["text"] == f"[OPEN] {RULE} for br-1905 {{}}. {LINK}"
    assert details["attachments"][0]["title"] == "Alert Details"
    assert details["attachments"][0]["text"].startswith("```")
    assert "br-1905" in details["attachments"][0]["text"]
    [shared] = chart["files"]
    assert chart["text"] == "Default for br-1905"
    assert shared["name"] == f"{RULE}_br-1905_open_Default_20180222_1200000.png"
    assert slack.uploaded(shared["id"])[:8] == PNG_SIGNATURE
    pattern = re.compile(rf"\[(REPEAT|CANCEL)\] {RULE} for br-1905 \{{\}}\. Duration: \d+s\. ")
    assert [pattern.match(m["text"]).group(1) for m in later] == ["REPEAT", "REPEAT", "CANCEL"]
    assert all(m["text"].endswith(LINK) for m in later)

    poll(lambda: Delivery.objects.filter(status="DELIVERED").count() == 4, what="4 delivered")
    ok = DeliveryAttempt.objects.filter(status="OK").order_by("id")
    assert [a.request for a in ok] == ["notification", "file", "image-1"] + ["notification"] * 3
    posted_ts = [m["ts"] for m in slack.messages("alerts")]
    assert [a.message_id for a in ok if a.request == "notification"] == [
        posted_ts[0],
        *posted_ts[3:],
    ]
    assert [a.endpoint_kind for a in ok] == ["slack"] * 6  # the log's source, spec §7.6


def test_rate_limits_and_slack_trouble_are_retried_in_order_after_retry_after(slack, notify_worker):
    text_binding("slack", "text")
    slack.script(slack_rate_limited(1), times=2)
    slack.script(slack_error("internal_error"))
    run = engine_run()
    for i, value in enumerate((55, 60, 20, 10)):  # avg of [60, 20, 10] is 30: CANCEL
        run.series(value, at(0, i))
    poll(lambda: len(slack.messages("alerts")) >= 3, timeout=60, what="3 messages")

    assert [m["text"].split("]")[0] for m in slack.messages("alerts")] == [
        "[OPEN",
        "[REPEAT",
        "[CANCEL",
    ]
    log = slack.log
    assert [(r.status, r.accepted) for r in log[:3]] == [(429, False), (429, False), (200, False)]
    for answered, retried in itertools.pairwise(log[:2]):
        assert retried.received_at >= answered.received_at + 1.0  # Retry-After: 1
    poll(lambda: Delivery.objects.filter(status="DELIVERED").count() == 3, what="3 delivered")
    codes = [(a.response_code, a.status) for a in DeliveryAttempt.objects.order_by("id")[:3]]
    assert codes == [(429, "RETRY"), (429, "RETRY"), (200, "RETRY")]
    assert "internal_error" in DeliveryAttempt.objects.order_by("id")[2].error
    assert len([r for r in log if r.accepted]) == 3  # nothing sent twice


def test_a_channel_the_app_is_not_in_fails_once_with_slacks_reason(slack, notify_worker):
    slack.add_channel("private-ops", member=False)
    text_binding("slack", "text", open_params={"text": OPEN_TEXT, "channels": "private-ops"})
    engine_run().series(55, at(0))
    row = poll(lambda: Delivery.objects.filter(status="FAILED").first(), what="failed")
    assert row.attempts == 1
    [error] = DeliveryAttempt.objects.filter(status="ERROR")
    assert "not_in_channel" in error.error
    assert "invite the app" in error.error
    assert [r.status for r in slack.log] == [200]


def test_the_test_button_says_hello_in_every_channel_without_showing_the_token(
    admin_client, slack_fake
):
    slack_fake.add_token(TOKEN)
    slack_fake.add_channel("alerts")
    slack_fake.add_channel("ops")
    data = form_data(base_url=slack_fake.api_url)
    response = admin_client.post(reverse("endpoint-test-new", args=["SLACK"]), data)
    result = response.json()
    assert result["ok"] is True, result
    assert result["message"] == "HTTP 200: test message sent to alerts, ops."
    assert TOKEN not in response.content.decode()
    assert [m["text"] for m in slack_fake.messages("alerts")] == [TEST_TEXT]
    assert [m["text"] for m in slack_fake.messages("ops")] == [TEST_TEXT]


def test_the_new_endpoint_page_shows_slacks_fields_with_the_token_masked(admin_client):
    html = admin_client.get(reverse("endpoint-create", args=["SLACK"])).content.decode()
    for label in ("Bot User OAuth Token", "Channels", "Bot Username", "Parse Mode"):
        assert label in html
    assert 'value="https://slack.com/api"' in html
    assert '<input type="password" name="param_token"' in html


def test_a_post_whose_answer_was_lost_is_found_in_the_history_and_not_sent_again(
    slack, notify_worker
):
    text_binding("slack", "text")
    slack.script(Reply.lost_answer(path_suffix="chat.postMessage"))
    engine_run().series(55, at(0))
    row = poll(lambda: Delivery.objects.filter(status="DELIVERED").first(), timeout=60)

    [message] = slack.messages("alerts")  # exactly once
    assert message["text"].startswith("[OPEN] ")
    [attempt] = DeliveryAttempt.objects.filter(request="notification")
    assert attempt.status == "OK"
    assert "found in the room's history" in attempt.error
    assert attempt.message_id == message["ts"]
    assert row.attempts == 2
    history = [r for r in slack.log if r.path == "/api/conversations.history"]
    assert history
    assert history[0].headers["authorization"].startswith("Bearer xoxb-")


# ----------------------------------------------- a corpus rule's Slack binding, live


PUSH_RULE = CORPUS / "atsd-use-cases" / "github-github-push.xml"


def test_the_corpus_github_push_rule_posts_its_pipe_links_to_slack(
    slack_fake, engine_worker, notify_worker, client, collector
):
    corpus_file(PUSH_RULE)
    slack_fake.add_token(TOKEN)
    slack_fake.add_channel("devops")
    # The endpoint the corpus binding names ("Slack"), as an administrator would set it up.
    make_slack("Slack", base_url=slack_fake.api_url, params={"channels": "devops"})
    import_rules(PUSH_RULE.read_bytes(), auto_enable=True)

    command = (
        "message e:github t:type=webhook t:source=github t:event=push t:sender.login=jane "
        "t:head_commit.author.name=Jane t:head_commit.author.username=jane "
        't:repository.name=atsd t:full_repository.name=axibase/atsd m:"pushed 1 commit"'
    )
    credentials = base64.b64encode(b"collector:pw-collector").decode()
    answer = client.post(
        "/api/v1/command", command, content_type="text/plain",
        HTTP_AUTHORIZATION=f"Basic {credentials}",
    )  # fmt: skip
    assert answer.json()["success"] == 1
    poll(lambda: slack_fake.messages("devops"), timeout=30, what="the push message")
    [message] = slack_fake.messages("devops")
    assert message["text"] == (
        "<https://github.com/jane|Jane> has pushed to the repository "
        "<https://github.com/axibase/atsd|atsd>"
    )


def test_a_rule_binds_a_slack_endpoint_with_its_text_and_channels(admin_client):
    make_slack()
    rule = Rule.objects.create(
        name="cpu_high", metric="cpu_busy", window="length(3)", expression="avg() > 90"
    )
    data = {
        "name": "Web Service Notification id=1", "enabled": "on", "endpoint": "slack",
        "open_enabled": "on", "open_delay_count": "0", "open_delay_unit": "SECOND",
        "details_format": "ascii", "open__param__text": "[${status}] ${rule}",
        "open__param__channels": "ops", "repeat_type": "ALL", "repeat_count": "5",
        "repeat_unit": "MINUTE",
    }  # fmt: skip
    page = admin_client.get(reverse("rule-notification-create", args=[rule.pk])).content.decode()
    assert 'name="open__param__text"' in page
    assert 'name="open__param__channels"' in page
    response = admin_client.post(reverse("rule-notification-create", args=[rule.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    row = RuleNotification.objects.get(rule_name="cpu_high")
    assert row.open_params == {"text": "[${status}] ${rule}", "channels": "ops"}
