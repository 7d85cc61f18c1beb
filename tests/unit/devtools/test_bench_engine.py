"""The engine benchmark measures what the engine does; speed itself is never asserted."""

import re

from devtools.bench import engine as bench
from rules.engine.engine import Engine


def test_batched_runs_give_the_triggers_of_event_by_event_processing():
    events = bench.make_events(40, 8, hot_share=0.2)
    rule = bench.walkthrough_rule()
    engine = Engine()
    engine.install(rule)
    one_by_one = [
        (t.window_key, t.status, t.repeat_count)
        for ev in events
        for t in engine.process(ev, events[-1].time_ms)
    ]
    batched = Engine()
    batched.install(rule)
    in_batches = [
        (t.window_key, t.status, t.repeat_count)
        for t in batched.process_batch(events, events[-1].time_ms)
    ]
    assert one_by_one == in_batches
    assert any(status == "OPEN" for _, status, _ in one_by_one)
    assert bench.engine_run(rule, events, batch_size=7)[1] == len(one_by_one)


def test_the_minimal_loop_opens_where_the_engine_opens():
    events = bench.make_events(40, 8, hot_share=0.2)
    engine, _ = bench.engine_run(bench.walkthrough_rule(), events)
    opened = sum(1 for rt in engine.rules.values() for wr in rt.windows.values()
                 if wr.state.status != "CANCEL")  # fmt: skip
    assert bench.minimal_time_loop(events, 15 * 60_000) == opened


def test_bench_engine_prints_one_labelled_figure_a_line():
    lines: list[str] = []
    figures = bench.run(n_series=30, rounds=3, repeat=1, out=lines.append)
    assert figures["walkthrough ratio"] > 0
    figure = re.compile(r"^[a-z ]+: [\d,.]+ [a-z/]+")
    ratio = re.compile(r"^[a-z ]+ ratio: \d+\.\d\d$")
    for line in lines:
        assert figure.match(line) or ratio.match(line), line
    assert any(line.startswith("walkthrough condition: ") for line in lines)
    assert any(line.startswith("percentile ratio: ") for line in lines)
