"""Lookup: a delivery row → its trigger, binding, endpoint and the parameters it sends with,
or the outcome that ends the attempt before anything is rendered."""

from __future__ import annotations

import pytest

from notifications.delivery.lookup import Job, lookup
from rules.models import RuleErrorRecord, TriggerRecord
from tests.unit.delivery.factories import (
    OPEN_TEXT,
    RULE,
    at,
    binding,
    dispatched,
    engine_run,
    hipchat_endpoint,
)

pytestmark = pytest.mark.django_db


def test_the_binding_overrides_only_what_the_endpoint_lets_rules_edit(hipchat_fake):
    hipchat_endpoint(hipchat_fake)
    binding(open_params={"message": OPEN_TEXT, "room": "", "from": "rule-bot"})

    job = lookup(dispatched(engine_run().series(55, at(0))))

    assert isinstance(job, Job)
    assert (job.slot, job.trigger.rule, job.endpoint.name) == ("open", RULE, "hc")
    assert job.parameters["message"] == OPEN_TEXT
    assert job.parameters["room"] == "2"  # empty in the binding: the endpoint's value
    assert job.parameters["from"] == ""  # not editable on this endpoint


def test_a_repeat_sent_as_open_uses_the_open_settings(hipchat_fake):
    hipchat_endpoint(hipchat_fake)
    binding(repeat_as_open=True, repeat_params={"message": "unused"})
    run = engine_run()
    run.series(55, at(0))

    job = lookup(dispatched(run.series(60, at(1))))

    assert isinstance(job, Job)
    assert (job.delivery.trigger, job.slot) == ("REPEAT", "open")
    assert job.parameters["message"] == OPEN_TEXT


def test_a_disabled_endpoint_ends_the_attempt_silently(hipchat_fake):
    hipchat_endpoint(hipchat_fake, enabled=False)
    binding()

    outcome = lookup(dispatched(engine_run().series(55, at(0))))

    assert not isinstance(outcome, Job)
    assert (outcome.status, outcome.error) == ("CANCELLED", "endpoint disabled: send ignored")
    assert not RuleErrorRecord.objects.exists()


def test_an_unknown_endpoint_is_the_rules_error(hipchat_fake):
    binding(endpoint="nowhere")

    outcome = lookup(dispatched(engine_run().series(55, at(0))))

    assert not isinstance(outcome, Job)
    assert (outcome.status, outcome.rule_errors) == ("CANCELLED", ["endpoint 'nowhere' not found"])
    assert RuleErrorRecord.objects.get().error == "endpoint 'nowhere' not found"


def test_a_delivery_whose_trigger_is_gone_fails(hipchat_fake):
    hipchat_endpoint(hipchat_fake)
    binding()
    row = dispatched(engine_run().series(55, at(0)))
    TriggerRecord.objects.all().delete()

    outcome = lookup(row)

    assert not isinstance(outcome, Job)
    assert (outcome.status, outcome.error) == ("FAILED", "trigger record no longer exists")
