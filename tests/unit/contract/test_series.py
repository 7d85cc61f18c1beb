"""What notifications reads from and writes to the series history."""

from __future__ import annotations

import time

import pytest
import redis as redis_lib

from rules.contract.series import default_chart_series, query, recent_series, record_self_metric
from rules.events import SERIES, Event
from rules.history import recorder
from rules.ingest.pipeline import server_event
from rules.models import Entity


@pytest.fixture(autouse=True)
def empty_history(redis_url, settings):
    settings.REDIS_URL = redis_url
    settings.SERIES_HISTORY_HOURS = 24
    client = redis_lib.Redis.from_url(redis_url.replace("redis+socket://", "unix://", 1))
    for key in client.scan_iter(match="hist:*"):
        client.delete(key)
    recorder.forget_known()


@pytest.mark.django_db
def test_a_self_metric_is_a_series_of_the_server_entity(settings):
    record_self_metric("web_service_notifications_per_minute", 3.0)
    recorder.recorder.flush()
    [series] = query("web_service_notifications_per_minute")
    assert series.entity == settings.SERVER_ENTITY
    assert [value for _, value in series.points] == [3.0]
    assert Entity.objects.filter(name=settings.SERVER_ENTITY).exists()


def _user_sample(metric: str, entity: str, at_ms: int, **tags: str) -> Event:
    return Event(
        kind=SERIES, entity=entity, metric=metric, tags=tags, time_ms=at_ms, receive_ms=at_ms,
        value=1.0, line_values={metric: 1.0},
    )  # fmt: skip


@pytest.mark.django_db
def test_recent_series_come_most_recently_active_first_and_the_default_is_a_users():
    assert recent_series() == []
    assert default_chart_series() is None
    now = int(time.time() * 1000)
    recorder.write([_user_sample("temperature", "br-1905", now - 60_000, room="a")])
    recorder.write([_user_sample("humidity", "br-1905", now - 30_000)])
    recorder.write([_user_sample("a_first_in_id_order", "br-0001", now - 90_000)])
    recorder.write([server_event("web_service_notifications_per_minute", 0.0)])  # the newest

    found = recent_series()
    assert [(s.metric, s.own) for s in found] == [
        ("web_service_notifications_per_minute", True),
        ("humidity", False),
        ("temperature", False),
        ("a_first_in_id_order", False),
    ]
    assert found[2].tags == {"room": "a"}
    assert found[1].last_ms == now - 30_000
    default = default_chart_series()
    assert (default.metric, default.entity) == ("humidity", "br-1905")


@pytest.mark.django_db
def test_only_the_servers_own_series_means_no_default():
    recorder.write([server_event("timer_15s", 1.0)])
    assert [s.own for s in recent_series()] == [True]
    assert default_chart_series() is None
