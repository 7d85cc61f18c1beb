"""Fixtures for delivery tests: the §9 server settings."""

import pytest

from tests.unit.delivery.factories import SERVER_URL


@pytest.fixture(autouse=True)
def server_settings(settings):
    settings.SERVER_URL = SERVER_URL
    settings.TIME_ZONE = "UTC"
    settings.NOTIFY_MAX_ATTEMPTS = 0
    settings.NOTIFY_DEADLINE = 3600
    return settings
