"""Fixtures of the backtest tests: an empty series history in the session's Redis."""

from tests.unit.history.conftest import clean_redis  # noqa: F401  (the fixture, shared)
