"""Functions ATSD has that this server deliberately does not run.

They are registered so that rules calling them install and run their other parts;
each call is a rule error saying why. Import lists them as "not run", one line per
rule (``rules.rulesxml.fidelity``).
"""

from __future__ import annotations

from typing import Any

from rules.expressions.errors import EvaluationError
from rules.expressions.functions.registry import register

# Function name → why it is not run (the rule error and the import note say it).
NOT_RUN: dict[str, str] = {
    "executeSqlQuery": "SQL queries are not executed on this server",
}


@register("executeSqlQuery", 1, None)
def execute_sql_query(ctx: Any, *args: Any) -> Any:
    """executeSqlQuery(query[, …]): not run; every call is a rule error."""
    raise EvaluationError(f"executeSqlQuery is not run: {NOT_RUN['executeSqlQuery']}")
