"""The pipeline stage profile (atsd_alerts.stage_timing) as a partition publishes it."""

import json

from atsd_alerts import stage_timing
from atsd_alerts.redis import client
from rules.engine.definition import RuleDefinition
from rules.engine.engine import Engine
from rules.events import SERIES, Event
from rules.partition import inbox
from rules.partition.journal import Partition

PARTITION_STAGES = {"inbox read", "decode", "engine", "journal write", "alert store"}


def pumped_partition(rows: int) -> Partition:
    engine = Engine()
    engine.install(RuleDefinition(name="hot", metric="cpu", expression="value > 50",
                                  window="length(3)"))  # fmt: skip
    part = Partition(0, engine, lambda items: None)
    part.recover()
    events = [
        Event(SERIES, f"e{i}", "cpu", {}, 1000, 1000, 60.0, line_values={"cpu": 60.0})
        for i in range(rows)
    ]
    inbox.append([(0, json.dumps([[event.to_wire(), ["hot"]] for event in events]))])
    part.pump()
    return part


def test_a_profiled_partition_publishes_the_time_and_samples_of_each_stage(broker, monkeypatch):
    monkeypatch.setattr(stage_timing, "ENABLED", True)
    pumped_partition(rows=5)
    stage_timing.publish()
    totals = stage_timing.read_totals(client())
    assert set(totals) >= PARTITION_STAGES
    assert totals["decode"]["items"] == 5
    assert totals["engine"]["items"] == 5
    assert totals["journal write"]["calls"] >= 1
    assert all(totals[stage]["ns"] > 0 for stage in PARTITION_STAGES)
    stage_timing.reset(client())
    assert stage_timing.read_totals(client()) == {}


def test_without_profiling_no_stage_is_counted(broker):
    assert not stage_timing.ENABLED
    assert stage_timing.start() == 0
    pumped_partition(rows=3)
    stage_timing.publish()
    assert stage_timing.read_totals(client()) == {}
