"""The partition checkpoint protocol on a real Redis: inbox, journal, outbox, snapshot."""

import json
import math

import pytest

from rules.alerts.published_windows import read_windows
from rules.engine.actions import ActionSettings
from rules.engine.definition import RuleDefinition
from rules.engine.engine import Engine
from rules.events import SERIES, Event
from rules.partition import inbox, journal
from rules.partition.journal import Partition


def definition(**overrides):
    fields = {"name": "hot", "metric": "cpu", "expression": "value > 50", "window": "length(3)"}
    fields.update(overrides)
    return RuleDefinition(**fields)


def row(entity: str, value: float, t: int, rules=("hot",)) -> list:
    event = Event(SERIES, entity, "cpu", {}, t, t, value, line_values={"cpu": value})
    return [event.to_wire(), list(rules)]


def send(*rows: list) -> None:
    inbox.append([(0, json.dumps(list(rows)))])


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


def test_each_inbox_entry_is_applied_once_however_often_the_partition_is_woken(clean):
    store = Store()
    part = fresh(store)
    send(row("e1", 60, 1000))
    assert part.pump() == 1
    assert part.pump() == 0
    assert contents(part)["series-cpu-e1"][0] == [1000]
    assert [item["trigger"]["status"] for item in store.items] == ["OPEN"]
    assert store.items[0]["id"] == f"0:{part.applied_id}:0"


def test_a_restarted_partition_replays_its_journal_to_the_same_state(clean):
    part = fresh(Store())
    send(row("e1", 60, 1000), row("e2", 10, 1000))
    send(row("e1", 70, 2000))
    part.pump()
    before = contents(part)
    restarted = fresh(Store())
    assert contents(restarted) == before
    assert restarted.applied_id == part.applied_id
    assert restarted.pump() == 0  # nothing is applied twice


def test_entries_appended_while_nobody_ran_are_applied_after_a_restart(clean):
    part = fresh(Store())
    send(row("e1", 60, 1000))
    part.pump()
    send(row("e1", 61, 2000))  # the worker died before it was woken for this one
    restarted = fresh(Store())
    restarted.pump()
    assert contents(restarted)["series-cpu-e1"][0] == [1000, 2000]


def test_a_snapshot_clears_the_journal_trims_the_inbox_and_still_restores(clean):
    part = fresh(Store())
    send(row("e1", 60, 1000))
    send(row("e1", 61, 1500))
    part.pump()
    part.checkpoint()
    assert part.redis.llen(part.keys.journal) == 0
    assert part.redis.xlen(inbox.inbox_key(0)) == 1  # only the last applied entry is left
    send(row("e1", 62, 2000))
    part.pump()
    assert part.redis.llen(part.keys.journal) == 1
    restarted = fresh(Store())
    assert contents(restarted) == contents(part)


def test_trigger_events_wait_in_the_outbox_while_the_store_fails(clean):
    part = fresh(Store(fail=True))
    send(row("e1", 60, 1000))
    part.pump()
    assert part.redis.llen(part.keys.outbox) == 1
    working = Store()
    part.store = working
    part.drain()
    assert [item["trigger"]["status"] for item in working.items] == ["OPEN"]
    assert part.redis.llen(part.keys.outbox) == 0


def test_events_are_applied_only_for_the_rules_routed_here(clean):
    part = fresh(Store(), definition(), definition(name="other"))
    send(row("e1", 60, 1000, rules=("hot",)))
    part.pump()
    assert {wr.display for wr in part.engine.rules["hot"].windows.values()} == {"series-cpu-e1"}
    assert not part.engine.rules["other"].windows


def test_rule_errors_travel_through_the_outbox(clean):
    store = Store()
    part = fresh(store, definition(expression="value('missing') > 1"))
    send(row("e1", 60, 1000))
    part.pump()
    errors = [item["error"] for item in store.items if "error" in item]
    assert errors
    assert errors[0]["rule"] == "hot"
    assert "missing" in errors[0]["error"]


def test_delayed_opens_survive_a_restart_and_fire_on_a_tick(clean):
    delayed = definition(actions=(ActionSettings("web", delay_ms=1),))
    store = Store()
    part = fresh(store, delayed)
    send(row("e1", 60, 1000))
    part.pump()
    assert len(part.pending) == 1
    part.checkpoint()
    restarted = fresh(Store(), delayed)
    assert [p.to_list() for p in restarted.pending] == [p.to_list() for p in part.pending]
    later = Store()
    restarted.store = later
    restarted.tick()
    (item,) = later.items
    assert item["trigger"]["reason"] == "delayed_open"
    assert item["trigger"]["delay_expired"] is True


def test_a_batch_is_applied_as_event_by_event_processing_would_apply_it(clean):
    """Runs of rows routed to one rule go to it in one call; rows routed to two rules
    go event by event. Trigger order and window contents match plain processing."""
    rules = (definition(), definition(name="cool", expression="value < 20"))
    rows = [
        row("e1", 60, 1000, ("hot",)),
        row("e1", 10, 2000, ("hot", "cool")),
        row("e2", 70, 2000, ("hot", "cool")),
        row("e2", 80, 3000, ("hot",)),
        row("e1", 5, 3000, ("cool",)),
        row("e1", 90, 4000, ("hot",)),
    ]
    store = Store()
    part = fresh(store, *rules)
    send(*rows)
    part.pump()
    expected = Engine()
    for rule in rules:
        expected.install(rule)
    statuses = []
    for wire, names in rows:
        event = Event.from_wire(wire)
        for name in names:
            out = []
            expected.rules[name].process(event, 0, out)
            statuses += [(t.rule, t.entity, t.status) for t in out]
    got = [
        (i["trigger"]["rule"], i["trigger"]["entity"], i["trigger"]["status"]) for i in store.items
    ]
    assert got == statuses
    assert ("cool", "e1", "OPEN") in got
    assert ("hot", "e2", "OPEN") in got
    assert contents(part) == {
        wr.display: (wr.window.times(), wr.window.values(), wr.state.status, wr.state.repeat_count)
        for runtime in expected.rules.values()
        for wr in runtime.windows.values()
    }


def records(part: Partition, rule: str = "hot") -> dict:
    return part.redis.hgetall(part.keys.rule_windows(rule))


def test_a_checkpoint_rewrites_only_the_windows_that_changed(clean):
    part = fresh(Store())
    send(row("e1", 60, 1000), row("e2", 10, 1000), row("e3", 20, 1000))
    part.pump()
    part.checkpoint()
    assert len(records(part)) == 3
    e2 = next(name for name in records(part) if b"e2" in name)
    part.redis.hdel(part.keys.rule_windows("hot"), e2)  # would come back if rewritten
    before = records(part)
    send(row("e1", 70, 2000))
    part.pump()
    part.checkpoint()
    after = records(part)
    assert len(after) == 2
    assert {name for name in after if after[name] != before[name]} == {
        name for name in after if b"e1" in name
    }


def test_a_restart_after_incremental_checkpoints_finds_every_window_as_it_was(clean):
    """Samples late and NaN, alerts open with action state, a time window,
    checkpoints between batches and a journal after the last one."""
    rules = (
        definition(actions=(ActionSettings("web"),)),
        definition(name="slow", window="time(1 minute)", expression="avg() > 50"),
    )
    part = fresh(Store(), *rules)
    both = ("hot", "slow")
    send(row("e1", 60, 1000, both), row("e2", math.nan, 1000, both), row("e3", 1, 900, both))
    part.pump()
    part.checkpoint()
    send(row("e1", 70, 500, both), row("e2", -5, 1200, both))  # a late sample
    part.pump()
    part.checkpoint()
    send(row("e3", 99, 3000, both), row("e4", 5, 3000, both))
    part.pump()  # in the journal only
    restarted = fresh(Store(), *rules)
    # NaN samples: compared as text (the windows come back in another order).
    assert repr(sorted(contents(restarted).items())) == repr(sorted(contents(part).items()))
    for name in both:
        for key, wr in part.engine.rules[name].windows.items():
            again = restarted.engine.rules[name].windows[key]
            assert repr(again.state.to_dict()) == repr(wr.state.to_dict())
            assert again.window.max_time == wr.window.max_time
    assert restarted.pump() == 0


def test_a_snapshot_in_the_previous_whole_state_format_is_loaded_then_rewritten(clean):
    part = fresh(Store())
    send(row("e1", 60, 1000), row("e2", 10, 1000))
    part.pump()
    old = {"engine": part.engine.snapshot(), "pending": [], "applied_id": part.applied_id}
    part.redis.set(part.keys.snapshot, json.dumps(old))
    part.redis.delete(part.keys.journal)
    upgraded = fresh(Store())
    assert contents(upgraded) == contents(part)
    upgraded.checkpoint()
    assert json.loads(part.redis.get(part.keys.snapshot))["version"] == 2
    assert len(records(upgraded)) == 2
    assert contents(fresh(Store())) == contents(part)


def test_windows_of_a_rule_dropped_and_installed_again_do_not_come_back(clean):
    part = fresh(Store())
    send(row("e1", 60, 1000))
    part.pump()
    part.checkpoint()
    # Between two checkpoints: the rule's name and fingerprint are the same again.
    part.replace_rules(
        lambda engine, now: engine.drop_rule("hot", now) + engine.install(definition(), now)
    )
    assert not records(part)
    send(row("e2", 10, 2000))
    part.pump()
    part.checkpoint()
    assert set(contents(fresh(Store()))) == {"series-cpu-e2"}


def test_window_summaries_show_open_windows_first_within_the_limit(clean, monkeypatch):
    monkeypatch.setattr(journal, "SUMMARY_LIMIT", 2)
    part = fresh(Store())
    send(*(row(f"e{i}", 10, 1000) for i in range(5)))
    part.pump()
    part.publish_summaries()
    send(row("e4", 60, 2000))  # opens after the first publication
    part.pump()
    part.publish_summaries()
    summaries = read_windows(rule="hot")
    assert len(summaries) == 2
    assert [s["status"] for s in summaries if s["entity"] == "e4"] == ["OPEN"]


def test_records_staged_by_a_checkpoint_that_died_before_its_commit_are_not_read(clean):
    part = fresh(Store())
    send(row("e1", 60, 1000))
    part.pump()
    part.checkpoint()
    send(row("e1", 61, 2000), row("e2", 10, 2000))
    part.pump()
    never_run = part.redis.pipeline(transaction=True)
    part._stage_windows(never_run, "hot", part.engine.rules["hot"])  # then the kill
    assert part.redis.exists(part.keys.staged_windows("hot"))
    restarted = fresh(Store())
    assert contents(restarted) == contents(part)  # the snapshot before, and the journal
    restarted.checkpoint()
    assert not part.redis.exists(part.keys.staged_windows("hot"))
    assert contents(fresh(Store())) == contents(part)


def test_appends_while_a_wake_up_is_pending_ask_for_no_other_and_the_pump_applies_them(clean):
    part = fresh(Store())
    first = inbox.append([(0, json.dumps([row("e1", 60, 1000)]))])
    later = inbox.append([(0, json.dumps([row("e2", 60, 1000)])), (1, json.dumps([]))])
    assert (first, later) == ([0], [1])  # partition 1's flag was not set yet
    assert part.pump() == 2
    assert inbox.append([(0, json.dumps([row("e3", 60, 1000)]))]) == [0]
