"""Series reads of rule functions and loadHistory over the real series history (Redis)."""

from __future__ import annotations

import math
import time

import pytest

from rules.engine.definition import RuleDefinition
from rules.engine.engine import Engine
from rules.events import SERIES, Event
from rules.expressions.compiler import compile_expression
from rules.expressions.errors import EvaluationError
from rules.history import recorder
from rules.history.reads import SeriesReads
from tests.unit.expressions.doubles import DictContext

MIN = 60_000


def now_ms() -> int:
    return int(time.time() * 1000)


def ev(value, t, *, metric="cpu", entity="e1", tags=None) -> Event:
    return Event(SERIES, entity, metric, dict(tags or {}), t, t, value)


def evaluate(text: str, reads: SeriesReads, now: int, **names) -> object:
    base = {"metric": "cpu", "entity": "e1", "tags": {}, "store_reads": reads}
    return compile_expression(text, "condition").evaluate(DictContext(base | names, now_ms=now))


def test_db_last_and_db_statistic_read_the_recorded_series():
    now = now_ms()
    recorder.write(
        [ev(1.0, now - 3 * MIN), ev(4.0, now - 2 * MIN), ev(2.0, now - MIN),
         ev(9.0, now - MIN, tags={"disk": "sda"}), ev(7.0, now - MIN, entity="e2")],
        now_ms=now,
    )  # fmt: skip
    reads = SeriesReads()
    assert evaluate("db_last('cpu')", reads, now) == 2.0
    assert evaluate("db_last('cpu', 'e2')", reads, now) == 7.0
    assert evaluate("db_last('cpu', 'e1', 'disk=sda')", reads, now) == 9.0
    assert evaluate("db_statistic('max', '150 second')", reads, now) == 4.0
    assert evaluate("db_statistic('count', '10 minute')", reads, now) == 3
    assert math.isnan(evaluate("db_last('mem')", reads, now))


def test_statistics_past_the_raw_points_count_every_folded_sample(settings):
    settings.SERIES_HISTORY_RAW_POINTS = 10
    now = now_ms()
    recorder.write([ev(float(i), now - (60 - i) * 30_000) for i in range(60)], now_ms=now)
    reads = SeriesReads()
    assert evaluate("db_statistic('count', '1 hour')", reads, now) == 60
    assert evaluate("db_statistic('sum', '1 hour')", reads, now) == sum(range(60))
    assert evaluate("db_statistic('min', '1 hour')", reads, now) == 0.0
    assert evaluate("db_last('cpu')", reads, now) == 59.0
    assert math.isnan(evaluate("db_statistic('median', '1 hour')", reads, now))
    assert evaluate("db_statistic('count', '2 minute')", reads, now) == 3  # raw alone


def test_several_matching_series_are_an_error_naming_their_tags():
    now = now_ms()
    recorder.write(
        [ev(1.0, now, tags={"disk": "sda"}), ev(2.0, now, tags={"disk": "sdb"})], now_ms=now
    )
    with pytest.raises(EvaluationError, match=r"2 series of 'cpu'.*disk=sda, disk=sdb"):
        evaluate("db_last('cpu', 'e1', 'disk=*')", SeriesReads(), now)


def test_answers_are_reused_for_a_second():
    now = now_ms()
    recorder.write([ev(1.0, now - 1000)], now_ms=now)
    reads = SeriesReads()
    assert evaluate("db_last('cpu')", reads, now) == 1.0
    recorder.write([ev(5.0, now)], now_ms=now)
    assert evaluate("db_last('cpu')", reads, now) == 1.0  # cached
    assert evaluate("db_last('cpu')", SeriesReads(), now) == 5.0


def test_an_unreachable_history_is_an_evaluation_error(settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    with pytest.raises(EvaluationError, match="series history unavailable"):
        evaluate("db_last('cpu')", SeriesReads(), now_ms())


def test_load_history_fills_a_new_count_window_with_the_older_samples():
    now = now_ms()
    recorder.write([ev(float(v), now - (10 - v) * 1000) for v in range(1, 6)], now_ms=now)
    engine = Engine(store_reads=SeriesReads())
    engine.install(RuleDefinition("r", "cpu", "count() == 3", "length(3)", load_history=True))
    [trigger] = engine.process(ev(100.0, now), now)
    assert trigger.values == [4.0, 5.0, 100.0]


def test_load_history_fills_a_time_window_with_its_duration_only():
    now = now_ms()
    recorder.write([ev(1.0, now - 10 * MIN), ev(2.0, now - 2 * MIN)], now_ms=now)
    engine = Engine(store_reads=SeriesReads())
    engine.install(RuleDefinition("r", "cpu", "count() > 0", "time(5 minute)", load_history=True))
    [trigger] = engine.process(ev(3.0, now), now)
    assert trigger.values == [2.0, 3.0]


def test_without_load_history_windows_start_empty():
    now = now_ms()
    recorder.write([ev(1.0, now - MIN)], now_ms=now)
    engine = Engine(store_reads=SeriesReads())
    engine.install(RuleDefinition("r", "cpu", "count() > 0", "length(3)"))
    [trigger] = engine.process(ev(3.0, now), now)
    assert trigger.values == [3.0]


def test_load_history_failing_is_a_rule_error_and_the_window_starts_empty(settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    engine = Engine(store_reads=SeriesReads())
    engine.install(RuleDefinition("r", "cpu", "count() > 0", "length(3)", load_history=True))
    now = now_ms()
    [trigger] = engine.process(ev(3.0, now), now)
    assert trigger.values == [3.0]
    [error] = engine.drain_errors()
    assert "loadHistory: series history unavailable" in error.error
