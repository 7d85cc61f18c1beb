"""The partition checkpoint protocol on a real Redis: journal, outbox, snapshot, replay."""

import json

import pytest

from rules.engine.evaluator import Engine, RuleDefinition
from rules.ingest.events import SERIES, Event
from rules.runtime.partition import Partition


def definition(**overrides):
    fields = {"name": "hot", "metric": "cpu", "expression": "value > 50", "window": "length(3)"}
    fields.update(overrides)
    return RuleDefinition(**fields)


def row(entity: str, value: float, t: int, rules=("hot",)) -> list:
    event = Event(SERIES, entity, "cpu", {}, t, t, value, line_values={"cpu": value})
    return [event.to_wire(), list(rules)]


class Store:
    def __init__(self, fail=False):
        self.items = []
        self.fail = fail

    def __call__(self, items):
        if self.fail:
            raise RuntimeError("database down")
        self.items.extend(items)


def fresh(store, *rules):
    engine = Engine()
    for rule in rules or (definition(),):
        engine.install(rule)
    part = Partition(0, engine, store)
    part.recover()
    return part


def contents(part: Partition) -> dict:
    return {
        wr.display: (wr.window.times(), wr.window.values(), wr.state.status, wr.state.repeat_count)
        for runtime in part.engine.rules.values()
        for wr in runtime.windows.values()
    }


@pytest.fixture
def clean(broker):
    return broker


def test_a_batch_is_applied_once_even_when_redelivered(clean):
    store = Store()
    part = fresh(store)
    assert part.apply_batch("b1", [row("e1", 60, 1000)]) == 1
    assert part.apply_batch("b1", [row("e1", 60, 1000)]) == 0
    assert contents(part)["series-cpu-e1"][0] == [1000]
    assert [item["trigger"]["status"] for item in store.items] == ["OPEN"]
    assert store.items[0]["id"] == "0:b1:0"


def test_a_restarted_partition_replays_its_journal_to_the_same_state(clean):
    store = Store()
    part = fresh(store)
    part.apply_batch("b1", [row("e1", 60, 1000), row("e2", 10, 1000)])
    part.apply_batch("b2", [row("e1", 70, 2000)])
    before = contents(part)
    restarted = fresh(Store())
    assert contents(restarted) == before
    assert restarted.apply_batch("b2", [row("e1", 70, 2000)]) == 0  # remembered as applied


def test_a_snapshot_clears_the_journal_and_still_restores(clean):
    part = fresh(Store())
    part.apply_batch("b1", [row("e1", 60, 1000)])
    part.checkpoint()
    assert part.redis.llen(part.keys.journal) == 0
    part.apply_batch("b2", [row("e1", 61, 2000)])
    assert part.redis.llen(part.keys.journal) == 1
    restarted = fresh(Store())
    assert contents(restarted) == contents(part)


def test_trigger_events_wait_in_the_outbox_while_the_store_fails(clean):
    failing = Store(fail=True)
    part = fresh(failing)
    part.apply_batch("b1", [row("e1", 60, 1000)])
    assert part.redis.llen(part.keys.outbox) == 1
    working = Store()
    part.store = working
    part.drain()
    assert [item["trigger"]["status"] for item in working.items] == ["OPEN"]
    assert part.redis.llen(part.keys.outbox) == 0


def test_events_are_applied_only_for_the_rules_routed_here(clean):
    store = Store()
    other = definition(name="other")
    part = fresh(store, definition(), other)
    part.apply_batch("b1", [row("e1", 60, 1000, rules=("hot",))])
    assert "series-cpu-e1" in {wr.display for wr in part.engine.rules["hot"].windows.values()}
    assert not part.engine.rules["other"].windows


def test_rule_errors_travel_through_the_outbox(clean):
    store = Store()
    part = fresh(store, definition(expression="value('missing') > 1"))
    part.apply_batch("b1", [row("e1", 60, 1000)])
    errors = [item["error"] for item in store.items if "error" in item]
    assert errors and errors[0]["rule"] == "hot"
    assert "missing" in errors[0]["error"]


def test_delayed_opens_survive_a_restart(clean):
    from rules.engine.actions import ActionSettings

    delayed = definition(actions=(ActionSettings("web", delay_ms=60_000),))
    part = fresh(Store(), delayed)
    part.apply_batch("b1", [row("e1", 60, 1000)])
    assert len(part.pending) == 1
    part.checkpoint()
    restarted = fresh(Store(), delayed)
    assert [p.to_list() for p in restarted.pending] == [p.to_list() for p in part.pending]
    assert json.loads(json.dumps(restarted.pending[0].to_list()))[1] == "hot"
