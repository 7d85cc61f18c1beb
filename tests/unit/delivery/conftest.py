"""Fixtures for delivery tests: the fake HipChat server and the §9 server settings."""

import pytest

from tests.fakes.hipchat import hipchat_fake
from tests.unit.delivery.factories import SERVER_URL

__all__ = ["hipchat_fake"]


@pytest.fixture(autouse=True)
def server_settings(settings):
    settings.SERVER_URL = SERVER_URL
    settings.TIME_ZONE = "UTC"
    settings.NOTIFY_MAX_ATTEMPTS = 0
    settings.NOTIFY_DEADLINE = 3600
    return settings
