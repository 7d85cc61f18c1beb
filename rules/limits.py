"""The input bounds of design invariant 8 that rules enforce, read from settings.

The engine and the wildcard matcher are plain Python and take their bounds as values;
this module hands them the configured ones, so the rule editor, rules.xml import and
the engine workers apply the same numbers (README "Limits").
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from rules import wildcards
from rules.engine.windows import WindowLimits

SETTINGS = (
    "WILDCARD_PATTERN_MAX_LENGTH",
    "RULE_MAX_WINDOW_COUNT",
    "RULE_MAX_WINDOW_SECONDS",
    "RULE_MAX_WINDOWS",
    "API_MAX_PAGE_SIZE",  # applied by atsd_alerts.api_pages to the alerts API and others
)


def window_limits() -> WindowLimits:
    """The largest windows a rule may declare."""
    return WindowLimits(
        max_count=settings.RULE_MAX_WINDOW_COUNT,
        max_ms=settings.RULE_MAX_WINDOW_SECONDS * 1000,
    )


def max_windows() -> int:
    """Windows one rule may hold in one engine partition."""
    return int(settings.RULE_MAX_WINDOWS)


def apply() -> None:
    """Check the settings and configure the wildcard matcher (at app start)."""
    for name in SETTINGS:
        value = getattr(settings, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ImproperlyConfigured(f"{name} must be a positive integer, got {value!r}")
    wildcards.set_max_length(settings.WILDCARD_PATTERN_MAX_LENGTH)
