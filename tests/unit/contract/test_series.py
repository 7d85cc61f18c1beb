"""What notifications reads from and writes to the series history."""

from __future__ import annotations

import pytest
import redis as redis_lib

from rules.contract.series import last_recorded_series, query, record_self_metric
from rules.history import recorder
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


@pytest.mark.django_db
def test_the_last_recorded_series_is_the_last_in_id_order():
    assert last_recorded_series() is None
    record_self_metric("b_metric", 1.0, {"k": "v"})
    record_self_metric("a_metric", 2.0)
    recorder.recorder.flush()
    found = last_recorded_series()
    assert found is not None
    metric, _, tags = found
    assert (metric, tags) == ("b_metric", {"k": "v"})
