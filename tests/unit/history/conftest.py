"""Fixtures of the series history tests: an empty history in the session's Redis."""

from __future__ import annotations

import pytest
import redis as redis_lib

from rules.history import recorder


@pytest.fixture(autouse=True)
def clean_redis(redis_url, settings):
    settings.REDIS_URL = redis_url
    settings.SERIES_HISTORY_HOURS = 24
    settings.SERIES_HISTORY_RAW_POINTS = 500
    settings.SERIES_HISTORY_MAX_SERIES = 5000
    client = redis_lib.Redis.from_url(redis_url.replace("redis+socket://", "unix://", 1))
    for key in client.scan_iter(match="hist:*"):
        client.delete(key)
    recorder.forget_known()
    return client
