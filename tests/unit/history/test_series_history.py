"""Series history: record, query by metric/entity/tags/time, caps, expiry (real Redis)."""

from __future__ import annotations

import math
import time

import orjson

from rules.events import MESSAGE, SERIES, Event
from rules.history import expiry, layout, recorder
from rules.history import query as history_query

NOW = 1_800_000_000_000  # a fixed "now" (ms) so minute/hour buckets are deterministic
MIN = 60_000


def ev(value, t, *, metric="cpu", entity="e1", tags=None, kind=SERIES) -> Event:
    return Event(kind, entity, metric, dict(tags or {}), t, t, value)


def test_it_returns_samples_by_metric_entity_and_tags_in_time_order():
    recorder.write(
        [
            ev(3.0, NOW - 1000, tags={"disk": "sda"}),
            ev(1.0, NOW - 3000, tags={"disk": "sda"}),
            ev(9.0, NOW - 2000, tags={"disk": "sdb"}),
            ev(5.0, NOW - 2000, entity="e2"),
            ev(7.0, NOW - 2000, metric="mem"),
        ],
        now_ms=NOW,
    )
    [sda] = history_query.query("cpu", "e1", {"disk": "sda"}, NOW - 10_000, NOW)
    assert (sda.metric, sda.entity, sda.tags) == ("cpu", "e1", {"disk": "sda"})
    assert sda.points == [(NOW - 3000, 1.0), (NOW - 1000, 3.0)]
    assert {s.entity for s in history_query.query("cpu", None, None, NOW - 10_000, NOW)} == {
        "e1",
        "e2",
    }
    assert len(history_query.query("cpu", "e1", None, NOW - 10_000, NOW)) == 2
    assert history_query.query("cpu", "e1", {"disk": "sda"}, NOW - 1500, NOW)[0].points == [
        (NOW - 1000, 3.0)
    ]
    assert history_query.query("nope") == []


def test_it_skips_messages_nan_and_infinite_values():
    recorder.write(
        [ev(math.nan, NOW), ev(math.inf, NOW), ev(1.0, NOW, kind=MESSAGE), ev(2.0, NOW)],
        now_ms=NOW,
    )
    [series] = history_query.query("cpu", "e1", None, NOW - MIN, NOW)
    assert series.points == [(NOW, 2.0)]


def test_raw_points_are_capped_and_older_minutes_kept_as_aggregates(settings):
    settings.SERIES_HISTORY_RAW_POINTS = 10
    start = NOW - 30 * MIN
    events = [ev(float(i), start + i * 6_000) for i in range(300)]  # 10 a minute, 30 minutes
    recorder.write(events, now_ms=NOW)
    [series] = history_query.query("cpu", "e1", None, start, NOW)
    raw = [p for p in series.points if p[0] >= series.raw_from_ms]
    assert len(raw) == 10
    assert raw[-1] == (start + 299 * 6_000, 299.0)
    minutes = [p for p in series.points if p[0] < series.raw_from_ms]
    assert minutes[0] == (start, sum(range(10)) / 10)  # first minute's average
    assert len(minutes) == 29
    sid = layout.series_id("cpu", "e1", {})
    count, total, low, high, last = history_query.minute_buckets(sid)[start // MIN]
    assert (count, total, low, high, last) == (10, 45.0, 0.0, 9.0, 9.0)


def test_minute_aggregates_merge_across_flushes():
    recorder.write([ev(1.0, NOW), ev(5.0, NOW + 1)], now_ms=NOW)
    recorder.write([ev(-2.0, NOW + 2)], now_ms=NOW)
    bucket = history_query.minute_buckets(layout.series_id("cpu", "e1", {}))[NOW // MIN]
    assert bucket == (3, 4.0, -2.0, 5.0, -2.0)


def test_samples_outside_the_period_are_dropped_and_the_series_count_is_capped(settings):
    settings.SERIES_HISTORY_MAX_SERIES = 2
    dropped = recorder.write(
        [
            ev(1.0, NOW - 25 * 3600_000),  # older than 24 h
            ev(1.0, NOW + 2 * 86_400_000),  # two days ahead
            ev(1.0, NOW, entity="a"),
            ev(1.0, NOW, entity="b"),
            ev(1.0, NOW, entity="c"),  # third series: over the cap
        ],
        now_ms=NOW,
    )
    assert dropped == 3
    assert [s.entity for s in history_query.query("cpu", None, None, NOW - MIN, NOW)] == ["a", "b"]
    assert (
        recorder.write([ev(2.0, NOW + 1, entity="a")], now_ms=NOW) == 0
    )  # known series still grow


def test_expire_trims_old_raw_points_and_forgets_empty_series(clean_redis, settings):
    settings.SERIES_HISTORY_HOURS = 1
    recorder.write([ev(1.0, NOW - 50 * MIN), ev(2.0, NOW - 5 * MIN)], now_ms=NOW)
    recorder.write([ev(1.0, NOW - 50 * MIN, entity="gone")], now_ms=NOW)
    later = NOW + 20 * MIN  # the first sample of each is now older than an hour
    # Buckets expire by their TTL in Redis; drop the old ones as time would.
    for key in clean_redis.scan_iter(match="hist:a:*gone*"):
        clean_redis.delete(key)
    result = expiry.expire(now_ms=later)
    assert result == {"trimmed": 2, "forgotten": 1}
    [kept] = history_query.query("cpu", None, None, later - 3600_000, later)
    assert kept.entity == "e1"
    assert kept.points[-1] == (NOW - 5 * MIN, 2.0)
    assert history_query.series_ids("cpu") == [layout.series_id("cpu", "e1", {})]


def test_aggregate_buckets_carry_a_ttl_so_redis_expires_them(clean_redis, settings):
    # Aggregates hold folded points only: a raw cap of 2 folds a flush of 5 points.
    settings.SERIES_HISTORY_RAW_POINTS = 2
    recorder.write([ev(float(i), NOW + i) for i in range(5)], now_ms=NOW)
    [key] = list(clean_redis.scan_iter(match="hist:a:*"))
    hour = NOW // 3600_000
    assert clean_redis.pexpiretime(key) == (hour + 1) * 3600_000 + 24 * 3600_000
    [raw] = list(clean_redis.scan_iter(match="hist:p:*"))
    assert clean_redis.pttl(raw) == -1  # raw points have none: expire() drops them


def test_the_recorder_buffers_without_blocking_and_flush_writes(settings):
    buffer = recorder.Recorder(flush_s=60)
    buffer.record([ev(4.0, int(time.time() * 1000))])  # the recorder stamps "now" itself
    buffer.flush()
    assert history_query.series_ids("cpu", "e1") == [layout.series_id("cpu", "e1", {})]
    full = recorder.Recorder(max_batches=1, flush_s=60)
    full._thread = type("Alive", (), {"is_alive": lambda self: True})()  # no writer thread
    full.record([ev(1.0, NOW)])
    full.record([ev(1.0, NOW), ev(2.0, NOW)])
    assert full.dropped == 2


def test_a_fold_moves_the_oldest_points_into_minute_aggregates_counted_once(settings):
    settings.SERIES_HISTORY_RAW_POINTS = 4  # folds when 6 to 8 points are raw
    m0 = NOW // MIN * MIN - 10 * MIN
    m1, m2, m3 = m0 + MIN, m0 + 2 * MIN, m0 + 3 * MIN
    first = [(m0, 5.0), (m0 + 10_000, -1.0), (m0 + 20_000, 3.0), (m1, 7.0), (m1 + 30_000, 2.0),
             (m1 + 40_000, 9.0), (m2, 4.0), (m2 + 10_000, 6.0), (m2 + 20_000, 8.0)]  # fmt: skip
    recorder.write([ev(v, t) for t, v in first], now_ms=NOW)  # 9 raw: the oldest 5 fold
    sid = layout.series_id("cpu", "e1", {})
    assert history_query.minute_buckets(sid, folded_only=True) == {
        m0 // MIN: (3, 7.0, -1.0, 5.0, 3.0),
        m1 // MIN: (2, 9.0, 2.0, 7.0, 2.0),
    }
    # The default view merges the raw points in: every stored sample, per minute.
    assert history_query.minute_buckets(sid)[m1 // MIN] == (3, 18.0, 2.0, 9.0, 9.0)
    [series] = history_query.query("cpu", "e1", None, m0, NOW)
    # Minute averages before the raw boundary; the boundary minute shows the average
    # of its folded points at its start, then its raw point: each sample once.
    assert series.points == [(m0, 7.0 / 3), (m1, 4.5), *first[5:]]
    assert series.raw_from_ms == m1 + 40_000

    second = [(m2 + 30_000, 1.0), (m3, 0.5), (m3 + 10_000, 2.5), (m3 + 20_000, 3.5),
              (m3 + 30_000, 4.5)]  # fmt: skip
    recorder.write([ev(v, t) for t, v in second], now_ms=NOW)  # 9 raw again: 5 more fold
    assert history_query.minute_buckets(sid, folded_only=True) == {
        m0 // MIN: (3, 7.0, -1.0, 5.0, 3.0),
        m1 // MIN: (3, 18.0, 2.0, 9.0, 9.0),  # merged with what the first fold wrote
        m2 // MIN: (4, 19.0, 1.0, 8.0, 1.0),
    }
    [series] = history_query.query("cpu", "e1", None, m0, NOW)
    assert series.points == [(m0, 7.0 / 3), (m1, 6.0), (m2, 19.0 / 4), *second[1:]]
    # A range far wider than the history (a portal's start=0) reads only the hours that
    # can hold data and gives the same points.
    [everything] = history_query.query("cpu", "e1", None, 0, 9_999_999_999_999)
    assert everything.points == series.points
    buckets = history_query.minute_buckets(sid)
    assert sum(c for c, *_ in buckets.values()) == len(first) + len(second)


def test_times_and_values_survive_the_packed_points_exactly(settings):
    values = [0.1 + 0.2, 1e-300, 5e-324, -123456789.12345679, 2.0**53 - 1, 1.7976931348623157e308,
              -0.0, 1 / 3]  # fmt: skip
    times = [NOW - 86_399_999 + i * 60_001 for i in range(len(values))]  # one per minute
    recorder.write([ev(v, t) for t, v in zip(times, values, strict=True)], now_ms=NOW)
    [series] = history_query.query("cpu", "e1", None, NOW - 86_400_000, NOW)
    assert series.points == list(zip(times, values, strict=True))
    assert all(type(t) is int for t, _ in series.points)
    # Folded, each value alone in its minute: min, max and last keep every digit.
    settings.SERIES_HISTORY_RAW_POINTS = 0
    sid = layout.series_id("cpu", "e2", {})
    recorder.write([ev(v, t, entity="e2") for t, v in zip(times, values, strict=True)], now_ms=NOW)
    buckets = history_query.minute_buckets(sid, folded_only=True)
    assert [buckets[t // MIN] for t in times] == [(1, v, v, v, v) for v in values]


def test_a_series_refused_by_the_full_registry_is_not_sent_again_for_a_while(settings, monkeypatch):
    settings.SERIES_HISTORY_MAX_SERIES = 1
    sent: list[list[str]] = []
    real = layout.script

    def spy(source):
        script = real(source)

        def call(keys, args):
            sent.append(orjson.loads(args[5]))  # the series ids of the flush
            return script(keys=keys, args=args)

        return call

    monkeypatch.setattr(recorder, "script", spy)
    assert recorder.write([ev(1.0, NOW, entity="a"), ev(1.0, NOW, entity="b")], now_ms=NOW) == 1
    b = layout.series_id("cpu", "b", {})
    assert b in sent[-1]
    settings.SERIES_HISTORY_MAX_SERIES = 2  # a slot frees up (as after expire)
    assert (
        recorder.write([ev(2.0, NOW + 1, entity="b"), ev(3.0, NOW + 2, entity="b")], now_ms=NOW)
        == 2
    )
    assert len(sent) == 1  # nothing left to send: b's samples dropped in process
    assert recorder.write([ev(2.0, NOW + 1, entity="a"), ev(2.0, NOW, entity="b")], now_ms=NOW) == 1
    assert b not in sent[-1]
    assert history_query.series_ids("cpu") == [layout.series_id("cpu", "a", {})]
    monkeypatch.setattr(recorder, "KNOWN_FOR_S", -1.0)  # the refusal is stale: ask again
    assert recorder.write([ev(4.0, NOW + 3, entity="b")], now_ms=NOW) == 0
    assert b in sent[-1]
    assert history_query.series_ids("cpu") == [layout.series_id("cpu", e, {}) for e in ("a", "b")]


def test_samples_only_out_of_range_do_not_mark_a_series_refused(settings):
    settings.SERIES_HISTORY_MAX_SERIES = 1
    assert recorder.write([ev(1.0, NOW - 25 * 3600_000)], now_ms=NOW) == 1
    assert history_query.series_ids("cpu") == []
    assert recorder.write([ev(1.0, NOW)], now_ms=NOW) == 0
    assert history_query.series_ids("cpu") == [layout.series_id("cpu", "e1", {})]


def test_nan_and_infinite_values_never_reach_the_packed_points(settings):
    settings.SERIES_HISTORY_RAW_POINTS = 1
    events = [ev(math.nan, NOW, entity="bad"), ev(math.inf, NOW + 1, entity="bad"),
              ev(-math.inf, NOW + 2, entity="bad")]  # fmt: skip
    events += [ev(v, NOW + i) for i, v in enumerate([1.0, math.nan, 2.0, -math.inf, 3.0, 4.0])]
    assert recorder.write(events, now_ms=NOW) == 0  # skipped, not dropped: not numbers
    assert history_query.series_ids("cpu") == [layout.series_id("cpu", "e1", {})]  # not "bad"
    buckets = history_query.minute_buckets(layout.series_id("cpu", "e1", {}))
    assert buckets == {NOW // MIN: (4, 10.0, 1.0, 4.0, 4.0)}
    [series] = history_query.query("cpu", "e1", None, NOW - MIN, NOW + MIN)
    assert all(math.isfinite(v) for _, v in series.points)


def test_series_written_together_do_not_all_fold_in_the_same_flush(clean_redis, settings):
    settings.SERIES_HISTORY_RAW_POINTS = 40  # a series folds at 61 to 80 raw points
    recorder.write(
        [ev(float(k), NOW - 100_000 + k, entity=f"e{i}") for i in range(200) for k in range(70)],
        now_ms=NOW,
    )
    lengths = [clean_redis.strlen(f"hist:p:cpu\x1fe{i}\x1f") // 16 for i in range(200)]
    folded = lengths.count(40)
    assert set(lengths) == {40, 70}
    assert 0 < folded < 200


def test_expire_drops_old_raw_points_without_folding_them_and_old_lists(clean_redis, settings):
    settings.SERIES_HISTORY_HOURS = 1
    recorder.write([ev(1.0, NOW - 50 * MIN), ev(2.0, NOW - 5 * MIN)], now_ms=NOW)
    sid = layout.series_id("cpu", "e1", {})
    clean_redis.rpush("hist:r:" + sid, f"{NOW - MIN} 1.5")  # a raw list of older versions
    assert expiry.expire(now_ms=NOW + 20 * MIN) == {"trimmed": 1, "forgotten": 0}
    assert history_query.minute_buckets(sid, folded_only=True) == {}
    assert history_query.minute_buckets(sid) == {(NOW - 5 * MIN) // MIN: (1, 2.0, 2.0, 2.0, 2.0)}
    assert not clean_redis.exists("hist:r:" + sid)
