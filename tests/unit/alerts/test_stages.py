"""A trigger's stages and what the histograms get from them."""

from dataclasses import replace
from datetime import UTC, datetime

from atsd_alerts.metrics.tally import Tally
from rules.alerts.stages import count_stored, stage_latencies, trigger_stages
from tests.unit.contract.test_triggers import T0, opened


def test_each_stage_is_measured_from_the_stage_before():
    trigger = replace(opened(), routed_time=T0 + 3, evaluated_time=T0 + 10)
    stages = trigger_stages(trigger, T0 + 30)
    assert stages == [
        ("received", T0 + 1),
        ("routed", T0 + 3),
        ("evaluated", T0 + 10),
        ("stored", T0 + 30),
    ]
    assert stage_latencies(stages) == [("routed", 2), ("evaluated", 7), ("stored", 20)]


def test_a_trigger_without_a_routed_time_skips_the_stages_around_it():
    # A tick (Check On Exit, delayed OPEN) evaluates no routed batch.
    trigger = replace(opened(), routed_time=None, evaluated_time=T0 + 60_000)
    assert stage_latencies(trigger_stages(trigger, T0 + 60_004)) == [("stored", 4)]


def test_a_stored_trigger_counts_by_status_and_observes_each_stage():
    trigger = replace(opened(), routed_time=T0 + 3, evaluated_time=T0 + 10)
    tally = Tally()
    count_stored(tally, trigger, datetime.fromtimestamp((T0 + 30) / 1000, tz=UTC))
    assert tally.fields["c|triggers_stored|status=OPEN"] == 1
    assert tally.fields["h|stage_latency|stage=routed|sum_us"] == 2000
    assert tally.fields["h|stage_latency|stage=evaluated|sum_us"] == 7000
    assert tally.fields["h|stage_latency|stage=stored|sum_us"] == 20000
