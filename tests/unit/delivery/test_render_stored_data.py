"""Render reads stored data: ``${properties}``, ``${alert_message}``, store functions."""

from __future__ import annotations

import pytest

from notifications.delivery.journal import Journal
from notifications.delivery.lookup import Job, lookup
from notifications.delivery.render import Message, render
from rules.contract import stores as contract_stores
from rules.ingest.commands import parse_command
from rules.models import Rule
from rules.stores import properties
from tests.unit.delivery.factories import (
    RULE,
    at,
    binding,
    dispatched,
    engine_run,
    hipchat_endpoint,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_store_cache(monkeypatch):
    """Each test reads its own database: no answer cached by an earlier test."""
    monkeypatch.setattr(contract_stores, "_stores", None)


def rendered(ids: list[str]) -> Message:
    job = lookup(dispatched(ids))
    assert isinstance(job, Job)
    message = render(job, Journal(job.delivery, job.endpoint.kind, "test-worker"))
    assert isinstance(message, Message)
    return message


def test_properties_shows_the_tags_of_the_property_command(hipchat_fake):
    hipchat_endpoint(hipchat_fake)
    binding(open_params={"message": "${type} ${keys}: ${properties}"})
    run = engine_run(metric="property", type="cfg", expression="true", window="length(1)")
    events = parse_command(f"property e:br-1905 t:cfg k:id=1 v:os=linux v:cpu=4 ms:{at(0)}", at(0))
    properties.record(events)

    message = rendered(run.store(run.engine.process(events[0], at(0))))

    assert message.text == "cfg {id=1}: {cpu=4, os=linux}"


def test_a_template_reads_stored_properties(hipchat_fake):
    hipchat_endpoint(hipchat_fake)
    binding(open_params={"message": "image ${property('docker.container::image')}"})
    properties.record(parse_command("property e:br-1905 t:docker.container v:image=nginx", at(0)))
    run = engine_run()

    message = rendered(run.series(55, at(0)))

    assert message.text == "image nginx"


def test_a_foreach_loop_reads_stored_properties(hipchat_fake):
    hipchat_endpoint(hipchat_fake)
    loop = "@foreach{f : ['image', 'name']}${f}=${property('docker.container::' + f)};@end{}"
    binding(open_params={"message": loop})
    events = parse_command("property e:br-1905 t:docker.container v:image=nginx v:name=web", at(0))
    properties.record(events)
    run = engine_run()

    message = rendered(run.series(55, at(0)))

    assert message.text == "image=nginx;name=web;"


@pytest.mark.parametrize(
    ("logging_text", "expected"),
    [
        ("${entity} is hot (${value})", "br-1905 is hot (55)"),
        ("", "Open alert for br-1905, temperature, {}. Value: 55"),  # the default text
    ],
)
def test_alert_message_is_the_logging_text_of_the_status(hipchat_fake, logging_text, expected):
    hipchat_endpoint(hipchat_fake)
    Rule.objects.create(
        name=RULE, metric="temperature", expression="avg() > 50", window="length(3)",
        alert_open_message=logging_text,
    )  # fmt: skip
    binding(open_params={"message": "says: ${alert_message}"})  # after the rule: it syncs
    run = engine_run()

    message = rendered(run.series(55, at(0)))

    assert message.text == f"says: {expected}"
