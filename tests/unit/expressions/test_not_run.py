"""Functions registered as not run: they compile (the rule installs) and each call is a
rule error saying why."""

from __future__ import annotations

import pytest

from rules.expressions.errors import EvaluationError

from .helpers import ev


def test_execute_sql_query_compiles_and_every_call_is_an_error():
    with pytest.raises(EvaluationError, match="executeSqlQuery is not run: SQL queries"):
        ev("executeSqlQuery('SELECT 1', 'x').size() > 0", {})


def test_execute_sql_query_is_not_called_when_short_circuited():
    assert ev("value > 1 && executeSqlQuery('SELECT 1') != null", {"value": 0}) is False
