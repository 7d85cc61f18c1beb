"""Series history: record, query by metric/entity/tags/time, caps, expiry (real Redis)."""

from __future__ import annotations

import math
import time

import pytest
import redis as redis_lib

from rules.history import store
from rules.ingest.events import MESSAGE, SERIES, Event

NOW = 1_800_000_000_000  # a fixed "now" (ms) so minute/hour buckets are deterministic
MIN = 60_000


@pytest.fixture(autouse=True)
def clean_redis(redis_url, settings):
    settings.REDIS_URL = redis_url
    settings.SERIES_HISTORY_HOURS = 24
    settings.SERIES_HISTORY_RAW_POINTS = 500
    settings.SERIES_HISTORY_MAX_SERIES = 5000
    client = redis_lib.Redis.from_url(redis_url.replace("redis+socket://", "unix://", 1))
    for key in client.scan_iter(match="hist:*"):
        client.delete(key)
    store.forget_known()
    yield client


def ev(value, t, *, metric="cpu", entity="e1", tags=None, kind=SERIES) -> Event:
    return Event(kind, entity, metric, dict(tags or {}), t, t, value)


def test_it_returns_samples_by_metric_entity_and_tags_in_time_order():
    store.write(
        [
            ev(3.0, NOW - 1000, tags={"disk": "sda"}),
            ev(1.0, NOW - 3000, tags={"disk": "sda"}),
            ev(9.0, NOW - 2000, tags={"disk": "sdb"}),
            ev(5.0, NOW - 2000, entity="e2"),
            ev(7.0, NOW - 2000, metric="mem"),
        ],
        now_ms=NOW,
    )
    [sda] = store.query("cpu", "e1", {"disk": "sda"}, NOW - 10_000, NOW)
    assert (sda.metric, sda.entity, sda.tags) == ("cpu", "e1", {"disk": "sda"})
    assert sda.points == [(NOW - 3000, 1.0), (NOW - 1000, 3.0)]
    assert {s.entity for s in store.query("cpu", None, None, NOW - 10_000, NOW)} == {"e1", "e2"}
    assert len(store.query("cpu", "e1", None, NOW - 10_000, NOW)) == 2
    assert store.query("cpu", "e1", {"disk": "sda"}, NOW - 1500, NOW)[0].points == [
        (NOW - 1000, 3.0)
    ]
    assert store.query("nope") == []


def test_it_skips_messages_nan_and_infinite_values():
    store.write(
        [ev(math.nan, NOW), ev(math.inf, NOW), ev(1.0, NOW, kind=MESSAGE), ev(2.0, NOW)],
        now_ms=NOW,
    )
    [series] = store.query("cpu", "e1", None, NOW - MIN, NOW)
    assert series.points == [(NOW, 2.0)]


def test_raw_points_are_capped_and_older_minutes_kept_as_aggregates(settings):
    settings.SERIES_HISTORY_RAW_POINTS = 10
    start = NOW - 30 * MIN
    events = [ev(float(i), start + i * 6_000) for i in range(300)]  # 10 a minute, 30 minutes
    store.write(events, now_ms=NOW)
    [series] = store.query("cpu", "e1", None, start, NOW)
    raw = [p for p in series.points if p[0] >= series.raw_from_ms]
    assert len(raw) == 10 and raw[-1] == (start + 299 * 6_000, 299.0)
    minutes = [p for p in series.points if p[0] < series.raw_from_ms]
    assert minutes[0] == (start, sum(range(10)) / 10)  # first minute's average
    assert len(minutes) == 29
    sid = store.series_id("cpu", "e1", {})
    count, total, low, high, last = store.minute_buckets(sid)[start // MIN]
    assert (count, total, low, high, last) == (10, 45.0, 0.0, 9.0, 9.0)


def test_minute_aggregates_merge_across_flushes():
    store.write([ev(1.0, NOW), ev(5.0, NOW + 1)], now_ms=NOW)
    store.write([ev(-2.0, NOW + 2)], now_ms=NOW)
    bucket = store.minute_buckets(store.series_id("cpu", "e1", {}))[NOW // MIN]
    assert bucket == (3, 4.0, -2.0, 5.0, -2.0)


def test_samples_outside_the_period_are_dropped_and_the_series_count_is_capped(settings):
    settings.SERIES_HISTORY_MAX_SERIES = 2
    dropped = store.write(
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
    assert [s.entity for s in store.query("cpu", None, None, NOW - MIN, NOW)] == ["a", "b"]
    assert store.write([ev(2.0, NOW + 1, entity="a")], now_ms=NOW) == 0  # known series still grow


def test_expire_trims_old_raw_points_and_forgets_empty_series(clean_redis, settings):
    settings.SERIES_HISTORY_HOURS = 1
    store.write([ev(1.0, NOW - 50 * MIN), ev(2.0, NOW - 5 * MIN)], now_ms=NOW)
    store.write([ev(1.0, NOW - 50 * MIN, entity="gone")], now_ms=NOW)
    later = NOW + 20 * MIN  # the first sample of each is now older than an hour
    # Buckets expire by their TTL in Redis; drop the old ones as time would.
    for key in clean_redis.scan_iter(match="hist:a:*gone*"):
        clean_redis.delete(key)
    result = store.expire(now_ms=later)
    assert result == {"trimmed": 2, "forgotten": 1}
    [kept] = store.query("cpu", None, None, later - 3600_000, later)
    assert kept.entity == "e1" and kept.points[-1] == (NOW - 5 * MIN, 2.0)
    assert store.series_ids("cpu") == [store.series_id("cpu", "e1", {})]


def test_aggregate_buckets_carry_a_ttl_so_redis_expires_them(clean_redis):
    store.write([ev(1.0, NOW)], now_ms=NOW)
    [key] = list(clean_redis.scan_iter(match="hist:a:*"))
    assert clean_redis.pttl(key) > 0  # raw lists have none: expire() drops them


def test_the_recorder_buffers_without_blocking_and_flush_writes(settings):
    recorder = store.Recorder(flush_s=60)
    recorder.record([ev(4.0, int(time.time() * 1000))])  # the recorder stamps "now" itself
    recorder.flush()
    assert store.series_ids("cpu", "e1") == [store.series_id("cpu", "e1", {})]
    full = store.Recorder(max_batches=1, flush_s=60)
    full._thread = type("Alive", (), {"is_alive": lambda self: True})()  # no writer thread
    full.record([ev(1.0, NOW)])
    full.record([ev(1.0, NOW), ev(2.0, NOW)])
    assert full.dropped == 2


def test_a_series_refused_by_the_full_registry_is_not_sent_again_for_a_while(settings, monkeypatch):
    settings.SERIES_HISTORY_MAX_SERIES = 1
    sent: list[list] = []
    real = store._script

    def spy():
        script = real()

        def call(keys, args):
            sent.append([a for a in args if isinstance(a, str)])  # ids (and metrics) sent
            return script(keys=keys, args=args)

        return call

    monkeypatch.setattr(store, "_script", spy)
    assert store.write([ev(1.0, NOW, entity="a"), ev(1.0, NOW, entity="b")], now_ms=NOW) == 1
    b = store.series_id("cpu", "b", {})
    assert b in sent[-1]
    settings.SERIES_HISTORY_MAX_SERIES = 2  # a slot frees up (as after expire)
    assert (
        store.write([ev(2.0, NOW + 1, entity="b"), ev(3.0, NOW + 2, entity="b")], now_ms=NOW) == 2
    )
    assert len(sent) == 1  # nothing left to send: b's samples dropped in process
    assert store.write([ev(2.0, NOW + 1, entity="a"), ev(2.0, NOW, entity="b")], now_ms=NOW) == 1
    assert b not in sent[-1]
    assert store.series_ids("cpu") == [store.series_id("cpu", "a", {})]
    monkeypatch.setattr(store, "KNOWN_FOR_S", -1.0)  # the refusal is stale: ask again
    assert store.write([ev(4.0, NOW + 3, entity="b")], now_ms=NOW) == 0
    assert b in sent[-1]
    assert store.series_ids("cpu") == [store.series_id("cpu", e, {}) for e in ("a", "b")]


def test_samples_only_out_of_range_do_not_mark_a_series_refused(settings):
    settings.SERIES_HISTORY_MAX_SERIES = 1
    assert store.write([ev(1.0, NOW - 25 * 3600_000)], now_ms=NOW) == 1
    assert store.series_ids("cpu") == []
    assert store.write([ev(1.0, NOW)], now_ms=NOW) == 0
    assert store.series_ids("cpu") == [store.series_id("cpu", "e1", {})]
