"""Stored triggers reach their consumers inside the transaction that stores them, never twice."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest
from django.db import transaction

from rules.alerts.store import store_items
from rules.contract import consumers
from rules.contract.consumers import publish_triggers, register_trigger_consumer
from rules.contract.triggers import encode_trigger
from rules.engine.definition import RuleDefinition
from rules.engine.engine import Engine
from rules.events import SERIES, Event

T0 = 1_700_000_000_000


@pytest.fixture
def received(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[list[str]]]:
    """The batches of event ids a test consumer receives, the only one registered."""
    batches: list[list[str]] = []

    def consume(event_ids: Sequence[str]) -> None:
        batches.append(list(event_ids))

    monkeypatch.setattr(consumers, "_consumers", [])
    register_trigger_consumer(consume)
    register_trigger_consumer(consume)  # registering again changes nothing
    return batches


def outbox_items(count: int) -> list[dict]:
    engine = Engine(zone="UTC")
    engine.install(RuleDefinition("hot", "cpu", "value > 0", "length(1)"), T0)
    items = []
    for n in range(count):
        event = Event(SERIES, f"e{n}", "cpu", {}, T0, T0, 1.0, line_values={"cpu": 1.0})
        [trigger] = engine.process(event, T0)
        items.append({"id": f"0:t{n}:0", "trigger": encode_trigger(trigger)})
    return items


def test_every_registered_consumer_gets_the_ids_once(received):
    publish_triggers(["0:a:0", "0:a:1"])
    publish_triggers([])
    assert received == [["0:a:0", "0:a:1"]]


@pytest.mark.django_db(transaction=True)
def test_the_alert_store_publishes_new_records_inside_their_transaction(received):
    items = outbox_items(2)
    with transaction.atomic():
        assert store_items(0, items) == ["0:t0:0", "0:t1:0"]
        assert received == [["0:t0:0", "0:t1:0"]]  # not yet committed
    assert received == [["0:t0:0", "0:t1:0"]]
    store_items(0, items)  # the same outbox items again: nothing new to publish
    assert received == [["0:t0:0", "0:t1:0"]]
