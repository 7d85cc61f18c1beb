"""db_last, db_statistic, db_statistics and last_open over a StoreReads (spec §4.6).

The store here is a list of series in memory standing in for the series history, so
the functions' arithmetic and argument handling are checked alone; the real store is
checked in tests/unit/history/test_series_reads.py and through the engine.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from rules.expressions.errors import EvaluationError
from tests.unit.expressions.helpers import ev

NOW = 1_700_000_000_000
HOUR = 3_600_000
# The §4.5 check values: three samples 15 s apart.
CHECK = (18.97742859958052, 21.09692237912773, 22.72808635185156)


class MemoryReads:
    """``StoreReads`` over series held in a dict: (metric, entity, tags items) → points."""

    def __init__(self, series: dict[tuple[str, str, tuple[tuple[str, str], ...]], list]) -> None:
        self.series = series
        self.reach_ms = 24 * HOUR
        self.opens: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.minutes: list[tuple[int, int, float, float, float, float]] = []  # of cpu/e1
        self.asked: list[tuple[Any, ...]] = []

    def series_stored(self, metric, entity, tags, start_ms, end_ms):
        self.asked.append((metric, entity, dict(tags)))
        found = [
            points
            for (m, e, items), points in self.series.items()
            if m == metric
            and e == entity
            and dict(items).keys() == tags.keys()
            and all(v == "*" or dict(items)[k] == v for k, v in tags.items())
        ]
        if len(found) > 1:
            raise EvaluationError("several series match")
        minutes = self.minutes if (metric, entity, tags) == ("cpu", "e1", {}) else []
        return (
            [m for m in minutes if start_ms <= m[0] <= end_ms],
            [p for p in (found[0] if found else []) if start_ms <= p[0] <= end_ms],
        )

    def last_open(self, rule, metric, entity, tags):
        return self.opens.get((rule, metric, entity))


def check_series(end_ms: int = NOW) -> list[tuple[int, float]]:
    return [(end_ms - (2 - i) * 15_000, v) for i, v in enumerate(CHECK)]


def run(text: str, reads: MemoryReads | None, **names: Any) -> Any:
    base = {"metric": "cpu", "entity": "e1", "tags": {}, "store_reads": reads}
    return ev(text, base | names, now_ms=NOW)


@pytest.fixture
def reads() -> MemoryReads:
    return MemoryReads(
        {
            ("cpu", "e1", ()): check_series(),
            ("cpu", "e1", (("disk", "sda"),)): [(NOW - 1000, 5.0)],
            ("cpu", "e2", ()): [(NOW - 5 * 60_000, 1.0), (NOW - 60_000, 2.0)],
            ("mem", "e1", ()): [],
        }
    )


def test_db_statistics_has_every_field_with_the_spec_check_values(reads):
    stats = run("db_statistics('1 minute')", reads)
    assert stats.expression_member("sum") == pytest.approx(62.80243733055981)
    assert stats.expression_member("avg") == pytest.approx(20.93414577685327)
    assert stats.expression_member("wavg") == pytest.approx(21.559255402231774)
    assert stats.expression_member("wtavg") == pytest.approx(22.10622632443797)
    assert stats.expression_member("stdDev") == pytest.approx(1.880619727737036)
    assert stats.expression_member("median") == pytest.approx(21.09692237912773)
    assert stats.expression_member("percentile99") == pytest.approx(22.72808635185156)
    assert stats.expression_member("percentile75") == pytest.approx(22.72808635185156)
    assert stats.expression_member("slope") == pytest.approx(1.250219e-4, rel=1e-6)
    assert stats.expression_member("count") == 3
    assert stats.expression_member("first") == CHECK[0]
    assert stats.expression_member("last") == CHECK[2]
    assert stats.expression_member("delta") == pytest.approx(CHECK[2] - CHECK[0])
    assert stats.expression_member("counter") == pytest.approx(CHECK[2] - CHECK[0])
    assert stats.expression_member("min") == CHECK[0]
    assert stats.expression_member("max") == CHECK[2]
    assert stats.expression_member("firstTime") == NOW - 30_000
    assert stats.expression_member("lastTime") == NOW
    assert stats.expression_member("minValueTime") == NOW - 30_000
    assert stats.expression_member("maxValueTime") == NOW
    for name in ("percentile99_9", "percentile0_1", "intercept"):
        assert not math.isnan(stats.expression_member(name)), name


def test_percentiles_follow_r6_on_one_to_ten():
    reads = MemoryReads({("cpu", "e1", ()): [(NOW - i * 1000, float(10 - i)) for i in range(10)]})
    stats = run("db_statistics('1 minute')", reads)
    assert stats.expression_member("percentile50") == pytest.approx(5.5)
    assert stats.expression_member("percentile75") == pytest.approx(8.25)
    assert stats.expression_member("percentile90") == pytest.approx(9.9)
    assert stats.expression_member("percentile10") == pytest.approx(1.1)
    assert stats.expression_member("percentile5") == 1.0


def test_db_statistic_names_a_field_in_any_spelling(reads):
    assert run("db_statistic('avg', '1 minute')", reads) == pytest.approx(20.93414577685327)
    assert run("db_statistic('PERCENTILE_99', '1 minute')", reads) == pytest.approx(CHECK[2])
    assert run("db_statistic('standard_deviation', '1 minute')", reads) == pytest.approx(
        1.880619727737036
    )
    assert run("db_statistic('max_value_time', '1 minute')", reads) == NOW


def test_db_statistic_takes_samples_after_now_minus_the_interval(reads):
    # (now - 20 s, now] holds the two newest check samples.
    assert run("db_statistic('count', '20 second')", reads) == 2
    assert run("db_statistic('count', '30 second')", reads) == 2  # now - 30 s is excluded


def test_counter_adds_the_value_after_a_reset():
    points = [(NOW - 4000, 10.0), (NOW - 3000, 15.0), (NOW - 2000, 3.0), (NOW - 1000, 7.0)]
    reads = MemoryReads({("cpu", "e1", ()): points})
    assert run("db_statistic('counter', '1 minute')", reads) == 5 + 3 + 4


def test_db_statistic_of_another_series_by_metric_entity_and_tags(reads):
    assert run("db_statistic('max', '10 minute', 'cpu', 'e2')", reads) == 2.0
    assert run("db_statistic('last', '1 minute', 'cpu', 'e1', 'disk=sda')", reads) == 5.0
    assert run("db_statistic('last', '1 minute', 'cpu', 'e1', 'disk=*')", reads) == 5.0
    assert run("db_statistic('last', '1 minute', 'cpu', 'e1', ['disk': 'sda'])", reads) == 5.0
    assert run("db_statistic('last', '1 minute', 'cpu', 'e1', tags)", reads, tags={}) == CHECK[2]


def test_omitted_series_parts_are_the_current_command(reads):
    run("db_last('cpu')", reads, entity="e2", tags={"disk": "sda"})
    assert reads.asked[-1] == ("cpu", "e2", {"disk": "sda"})
    run("db_statistic('avg', '1 minute')", reads, metric="mem")
    assert reads.asked[-1] == ("mem", "e1", {})


def test_no_data_is_nan_and_no_time(reads):
    assert math.isnan(run("db_statistic('avg', '1 minute', 'mem')", reads))
    assert math.isnan(run("db_last('nothing')", reads))
    assert run("db_statistic('lastTime', '1 minute', 'mem')", reads) is None
    stats = run("db_statistics('1 minute', 'mem')", reads)
    assert stats.expression_member("count") == 0
    assert math.isnan(stats.expression_member("max"))


def test_an_interval_beyond_the_history_is_nan_not_part_of_it(reads):
    assert run("db_statistic('count', '24 hour')", reads) == 3
    assert math.isnan(run("db_statistic('count', '25 hour')", reads))
    assert run("db_statistics('2 day')", reads).expression_member("count") == 0


def test_past_the_kept_samples_only_the_exact_statistics_are_given(reads):
    # Two older minutes kept as aggregates (count, sum, min, max, last), then the samples.
    reads.minutes = [(NOW - 5 * 60_000, 4, 40.0, 5.0, 15.0, 12.0),
                     (NOW - 4 * 60_000, 2, 2.0, 0.5, 1.5, 0.5)]  # fmt: skip
    stats = run("db_statistics('10 minute')", reads)
    assert stats.expression_member("count") == 9
    assert stats.expression_member("sum") == pytest.approx(42.0 + sum(CHECK))
    assert stats.expression_member("avg") == pytest.approx((42.0 + sum(CHECK)) / 9)
    assert stats.expression_member("min") == 0.5
    assert stats.expression_member("max") == CHECK[2]
    assert stats.expression_member("last") == CHECK[2]
    assert stats.expression_member("lastTime") == NOW
    for name in ("median", "stdDev", "counter", "slope", "percentile99", "first"):
        assert math.isnan(stats.expression_member(name)), name
    assert stats.expression_member("firstTime") is None
    assert run("db_statistic('max', '10 minute')", reads) == CHECK[2]
    assert run("db_statistic('count', '1 minute')", reads) == 3  # the samples alone: exact
    assert run("db_statistic('median', '1 minute')", reads) == pytest.approx(CHECK[1])


def test_db_last_is_the_newest_stored_value(reads):
    assert run("db_last('cpu')", reads) == CHECK[2]
    assert run("db_last('CPU', 'E1', 'Disk=sda')", reads) == 5.0  # names are lower case
    assert run("db_last('cpu', 'e2')", reads) == 2.0
    assert run("db_last('cpu', 'e1', 'disk=sda')", reads) == 5.0


def test_bad_arguments_are_evaluation_errors(reads):
    with pytest.raises(EvaluationError, match="unknown function 'nope'"):
        run("db_statistic('nope', '1 minute')", reads)
    with pytest.raises(EvaluationError, match="invalid tags"):
        run("db_last('cpu', 'e1', 'disk')", reads)
    with pytest.raises(EvaluationError, match="invalid interval"):
        run("db_statistic('avg', 'soon')", reads)
    with pytest.raises(EvaluationError, match="several series"):
        run("db_last('cpu', 'e1', 'disk=*')", reads_with_two())


def reads_with_two() -> MemoryReads:
    return MemoryReads(
        {("cpu", "e1", (("disk", "a"),)): [(NOW, 1.0)], ("cpu", "e1", (("disk", "b"),)): []}
    )


def test_without_a_store_the_functions_are_errors():
    for text in ("db_last('cpu')", "db_statistic('avg', '1 minute')", "last_open()"):
        with pytest.raises(EvaluationError, match="not readable here"):
            run(text, None)


def test_last_open_defaults_without_a_record(reads):
    record = run("last_open()", reads, rule="r")
    assert record.expression_member("time") == 0
    assert record.expression_member("timestamp") == 0
    assert math.isnan(record.expression_member("value"))
    assert record.expression_member("severity") == "UNDEFINED"


def test_last_open_reads_the_window_newest_open_record(reads):
    reads.opens[("r", "cpu", "e1")] = {
        "time": NOW - 5000, "value": 42.0, "severity": "WARNING", "status": "REPEAT",
        "repeat_count": 2, "message": "Repeat alert",
    }  # fmt: skip
    assert run("last_open().value", reads, rule="r") == 42.0
    assert run("last_open().timestamp", reads, rule="r") == NOW - 5000
    assert run("last_open().severity", reads, rule="r") == "WARNING"
    assert run("elapsedTime(last_open().time)", reads, rule="r") == 5000
