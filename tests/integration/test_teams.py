"""Microsoft Teams end to end: a rule's OPEN, REPEAT and CANCEL through a real notify
worker on real Redis into the fake Workflows webhook, as Adaptive Cards with the details
and the chart link.

Triggers come from the in-process engine stored through the engine worker's store path
(``tests.unit.delivery.factories``). Every wait polls with a timeout.
"""

from __future__ import annotations

import itertools
import re

import pytest
from django.urls import reverse

from devtools.fakes.service import Reply
from devtools.fakes.teams import TeamsFake
from notifications.endpoints.trial import TEST_TEXT
from notifications.models import Delivery, DeliveryAttempt
from tests.engine_helpers import poll
from tests.integration.channel_sends import text_binding
from tests.unit.channels.teams.factories import form_data, make_teams
from tests.unit.delivery.factories import RULE, SERVER_URL, at, engine_run

pytestmark = pytest.mark.integration

RULE_LINK = f"{SERVER_URL}/rule/edit.xhtml?name={RULE}"
CHART_LINK = f"{SERVER_URL}/portals/series?metric=temperature&entity=br-1905"


@pytest.fixture(autouse=True)
def server_settings(settings):
    settings.SERVER_URL = SERVER_URL
    settings.TIME_ZONE = "UTC"
    return settings


@pytest.fixture
def teams(teams_fake: TeamsFake, transactional_db) -> TeamsFake:
    """The fake with a workflow for channel "alerts" and a TEAMS endpoint posting to it."""
    make_teams(params={"webhook_url": teams_fake.add_workflow("alerts")})
    return teams_fake


def texts(card: dict) -> list[str]:
    """The text of every TextBlock of a card, containers opened."""
    found: list[str] = []
    for element in card["body"]:
        items = element.get("items", [element])
        found += [item["text"] for item in items if item["type"] == "TextBlock"]
    return found


def test_open_repeat_cancel_arrive_as_cards_in_order_with_details_and_chart_link(
    teams, notify_worker
):
    text_binding("teams", "text", open_details=True, open_screenshot=True)
    run = engine_run()
    for i, value in enumerate((55, 60, 20)):  # avg of [55, 60, 20] is 45: CANCEL
        run.series(value, at(0, i))
    poll(lambda: len(teams.cards("alerts")) >= 5, timeout=60, what="5 cards")

    opened, details, chart, *later = teams.cards("alerts")
    assert texts(opened) == [f"[OPEN] {RULE} for br-1905 {{}}. [{RULE}]({RULE_LINK})"]
    assert opened["body"][0]["style"] == "warning"  # the rule's WARNING severity
    assert opened["actions"] == [{"type": "Action.OpenUrl", "title": RULE, "url": RULE_LINK}]
    assert texts(details)[0] == "Alert Details"
    assert any("br-1905" in line for line in texts(details)[1:])
    assert [a["title"] for a in chart["actions"]] == [RULE, "Default for br-1905"]
    assert chart["actions"][1]["url"].startswith(CHART_LINK)
    pattern = re.compile(rf"\[(REPEAT|CANCEL)\] {RULE} for br-1905 \{{\}}\. Duration: \d+s\. ")
    assert [pattern.match(texts(c)[0]).group(1) for c in later] == ["REPEAT", "CANCEL"]

    poll(lambda: Delivery.objects.filter(status="DELIVERED").count() == 3, what="3 delivered")
    ok = DeliveryAttempt.objects.filter(status="OK").order_by("id")
    assert [(a.request, a.response_code) for a in ok] == [
        ("notification", 202), ("file", 202), ("links-1", 202),
        ("notification", 202), ("notification", 202),
    ]  # fmt: skip


def test_rate_limits_and_outages_are_retried_in_order_after_retry_after(teams, notify_worker):
    text_binding("teams", "text")
    teams.script(Reply.rate_limited(1), times=2)
    teams.script(Reply.status(503, "busy"))
    run = engine_run()
    for i, value in enumerate((55, 60, 20)):
        run.series(value, at(0, i))
    poll(lambda: len(teams.cards("alerts")) >= 3, timeout=60, what="3 cards")

    assert [texts(c)[0].split("]")[0] for c in teams.cards("alerts")] == [
        "[OPEN", "[REPEAT", "[CANCEL",
    ]  # fmt: skip
    log = teams.log
    assert [r.status for r in log[:4]] == [429, 429, 503, 202]
    for answered, retried in itertools.pairwise(log[:2]):
        assert retried.received_at >= answered.received_at + 1.0  # Retry-After: 1
    poll(lambda: Delivery.objects.filter(status="DELIVERED").count() == 3, what="3 delivered")
    assert len([r for r in log if r.accepted]) == 3  # nothing sent twice


def test_the_test_button_posts_hello_as_a_card(admin_client, teams_fake):
    url = teams_fake.add_workflow("alerts")
    response = admin_client.post(
        reverse("endpoint-test-new", args=["TEAMS"]), form_data(param_webhook_url=url)
    )
    result = response.json()
    assert result["ok"] is True, result
    assert result["status"] == 202
    assert url.split("sig=")[1] not in response.content.decode()
    [card] = teams_fake.cards("alerts")
    assert texts(card) == [TEST_TEXT]
