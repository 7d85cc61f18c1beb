"""A tally's fields: counters by labels, latencies into their ``le`` bucket."""

from atsd_alerts.metrics.tally import BUCKETS_S, STAGE_LATENCY, Tally


def test_a_latency_on_a_bucket_bound_counts_in_that_bucket_and_its_sum_in_microseconds():
    tally = Tally().observe_ms(STAGE_LATENCY, 1.0, stage="routed")
    assert tally.fields == {
        "h|stage_latency|stage=routed|0": 1,  # le=0.001
        "h|stage_latency|stage=routed|sum_us": 1000,
    }


def test_a_latency_past_the_last_bound_counts_in_the_inf_bucket():
    tally = Tally().observe_ms(STAGE_LATENCY, 301_000, stage="sent")
    assert tally.fields[f"h|stage_latency|stage=sent|{len(BUCKETS_S)}"] == 1


def test_clocks_that_disagree_give_zero_not_a_negative_latency():
    tally = Tally().observe_ms(STAGE_LATENCY, -3, stage="routed")
    assert tally.fields == {
        "h|stage_latency|stage=routed|0": 1,
        "h|stage_latency|stage=routed|sum_us": 0,
    }


def test_counters_add_up_per_label_set_in_label_order():
    tally = (
        Tally()
        .count("deliveries", status="ok", channel="hipchat")
        .count("deliveries", 2, channel="hipchat", status="ok")
    )
    assert tally.fields == {"c|deliveries|channel=hipchat,status=ok": 3}
