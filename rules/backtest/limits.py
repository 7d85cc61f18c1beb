"""The bounds of one backtest (design invariant 8), read from settings (README
"Backtest on history")."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class BacktestLimits:
    """``max_hours``: the longest span replayed; ``max_series``: series read;
    ``max_samples``: samples replayed; ``max_windows``: windows the rule may hold;
    ``max_triggers``: triggers kept (the rest are counted); ``max_messages``: messages
    rendered; ``time_limit_s``: the replay stops there and says so."""

    max_hours: int = 24
    max_series: int = 1000
    max_samples: int = 200_000
    max_windows: int = 1000
    max_triggers: int = 2000
    max_messages: int = 100
    time_limit_s: float = 10.0


def configured() -> BacktestLimits:
    """The limits of this installation's settings."""
    return BacktestLimits(
        max_hours=int(settings.BACKTEST_MAX_HOURS),
        max_series=int(settings.BACKTEST_MAX_SERIES),
        max_samples=int(settings.BACKTEST_MAX_SAMPLES),
        max_windows=int(settings.BACKTEST_MAX_WINDOWS),
        max_triggers=int(settings.BACKTEST_MAX_TRIGGERS),
        max_messages=int(settings.BACKTEST_MAX_MESSAGES),
        time_limit_s=float(settings.BACKTEST_TIME_LIMIT_S),
    )
