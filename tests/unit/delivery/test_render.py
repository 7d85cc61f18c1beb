"""Render: a job → the message it sends (text, parameters, details file, charts), or the
outcome that ends the attempt before anything is sent."""

from __future__ import annotations

import pytest

from notifications.delivery.journal import Journal
from notifications.delivery.lookup import Job, lookup
from notifications.delivery.render import Message, binding_render_info, render
from notifications.delivery.web_queries import EndpointQueries
from notifications.models import DeliveryAttempt, Endpoint, RuleNotification
from rules.models import RuleErrorRecord
from tests.unit.channels.slack.factories import make_slack
from tests.unit.delivery.factories import (
    RULE,
    SERVER_URL,
    L,
    at,
    binding,
    dispatched,
    engine_run,
    hipchat_endpoint,
)

pytestmark = pytest.mark.django_db


def job_of(ids: list[str]) -> tuple[Job, Journal]:
    job = lookup(dispatched(ids))
    assert isinstance(job, Job)
    return job, Journal(job.delivery, job.endpoint.kind, "test-worker")


def with_parameter(endpoint: Endpoint, key: str, value: str, editable: bool = False) -> None:
    values = [(p["key"], p["value"], p["editable"]) for p in endpoint.parameters]
    endpoint.set_parameters([*values, (key, value, editable)])
    endpoint.save()


def test_it_renders_the_text_the_parameters_and_what_the_binding_attaches(hipchat_fake):
    endpoint = hipchat_endpoint(hipchat_fake)
    with_parameter(endpoint, "add_links_to_portals", "true")
    binding(
        open_params={"message": "[${status}] ${rule}. ${ruleLink}", "room": "ops-${entity}"},
        open_details=True,
        open_screenshot=True,
        open_portal_ids="2",
    )
    job, journal = job_of(engine_run().series(55, at(0)))

    message = render(job, journal)

    assert isinstance(message, Message)
    assert message.text == f"[OPEN] {RULE}. {L}"
    assert message.parameters["room"] == "ops-br-1905"
    assert message.details is not None
    assert message.details.name == f"{RULE}_br-1905_open_20180222_1200000.txt"
    assert message.details.content.decode().startswith("+-")
    assert [c.portal.name for c in message.charts] == ["Default", "Entity Overview"]
    assert message.charts[0].link.startswith(f"{SERVER_URL}/portals/series?")
    assert message.portal_links is True
    assert not DeliveryAttempt.objects.exists()  # nothing left, nothing logged yet


def test_add_portal_attaches_its_chart_without_the_screenshot_setting(hipchat_fake):
    hipchat_endpoint(hipchat_fake)
    binding(open_params={"message": "Down ${addPortal('Entity Overview', 'db-1', 'DB')}"})
    job, journal = job_of(engine_run().series(55, at(0)))

    message = render(job, journal)

    assert isinstance(message, Message)
    assert message.text == "Down"
    assert [(c.portal.name, c.caption) for c in message.charts] == [("Entity Overview", "DB")]
    assert message.charts[0].params["entity"] == "db-1"


def test_web_queries_reach_texts_only_when_enabled(hipchat_fake, settings):
    hipchat_endpoint(hipchat_fake)
    binding(open_params={"message": "m"})
    job, _ = job_of(engine_run().series(55, at(0)))
    assert binding_render_info(job, "text").web_queries is None
    settings.RULE_WEB_QUERIES_ENABLED = True
    queries = binding_render_info(job, "text").web_queries
    assert isinstance(queries, EndpointQueries)


def test_placeholder_errors_are_the_rules_and_the_text_is_still_rendered(hipchat_fake):
    hipchat_endpoint(hipchat_fake)
    binding(open_params={"message": "a ${round(} b"})
    job, journal = job_of(engine_run().series(55, at(0)))

    message = render(job, journal)

    assert isinstance(message, Message)
    assert message.text == "a ${round(} b"
    assert len(message.rule_errors) == 1
    assert RuleErrorRecord.objects.get().rule == RULE


def test_cancel_action_ends_the_attempt_with_a_cancelled_log_row(hipchat_fake):
    hipchat_endpoint(hipchat_fake)
    binding(open_params={"message": "${cancelAction()}"})
    job, journal = job_of(engine_run().series(55, at(0)))

    outcome = render(job, journal)

    assert not isinstance(outcome, Message)
    assert (outcome.status, outcome.error) == ("CANCELLED", "cancelAction()")
    attempt = DeliveryAttempt.objects.get()
    assert (attempt.request, attempt.status) == ("notification", "CANCELLED")


def test_an_unknown_message_format_fails_before_anything_is_sent(hipchat_fake):
    endpoint = hipchat_endpoint(hipchat_fake, message_format="rtf")
    binding()
    job, journal = job_of(engine_run().series(55, at(0)))
    assert endpoint.parameter("message_format") == "rtf"

    outcome = render(job, journal)

    assert not isinstance(outcome, Message)
    assert (outcome.status, outcome.error) == ("FAILED", "unknown message format 'rtf'")
    assert DeliveryAttempt.objects.get().status == "ERROR"


def test_details_use_the_endpoints_table_format_unless_the_binding_chose_one(slack_fake):
    slack = make_slack(base_url=slack_fake.api_url, params={"details_table_format": "markdown"})
    binding(endpoint=slack.name, open_params={"text": "[${status}] ${rule}"}, open_details=True)
    job, journal = job_of(engine_run().series(55, at(0)))
    message = render(job, journal)
    assert isinstance(message, Message)
    assert message.details is not None
    assert message.details.content.decode().startswith("|")  # markdown, not ascii "+-"

    RuleNotification.objects.update(details_format="property")
    job, journal = job_of(engine_run().series(56, at(1)))
    message = render(job, journal)
    assert isinstance(message, Message)
    assert "=" in message.details.content.decode().splitlines()[0]  # property: name=value
