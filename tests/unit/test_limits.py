"""The input-bound settings are checked when the app starts and reach the matcher."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from rules import limits, wildcards


@pytest.mark.parametrize("value", [0, -1, "10", True])
@pytest.mark.parametrize("name", limits.SETTINGS)
def test_a_limit_that_is_not_a_positive_integer_stops_the_start(
    settings, pattern_limit, name, value
):
    setattr(settings, name, value)
    with pytest.raises(ImproperlyConfigured, match=f"{name} must be a positive integer"):
        limits.apply()


def test_the_pattern_length_setting_reaches_the_matcher(settings, pattern_limit):
    settings.WILDCARD_PATTERN_MAX_LENGTH = 7
    limits.apply()
    assert wildcards.max_length() == 7


def test_window_limits_come_from_the_settings(settings):
    settings.RULE_MAX_WINDOW_COUNT = 50
    settings.RULE_MAX_WINDOW_SECONDS = 60
    settings.RULE_MAX_WINDOWS = 3
    assert (limits.window_limits().max_count, limits.window_limits().max_ms) == (50, 60_000)
    assert limits.max_windows() == 3
