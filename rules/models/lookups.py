"""``field__iwildcard=pattern``: an ATSD wildcard pattern matched by the database.

The pattern becomes an escaped SQL ``LIKE`` (``rules.wildcards.sql_like``), never a
regular expression: ``LIKE`` in PostgreSQL and SQLite gives up on a ``%`` as soon as
the rest of the pattern cannot match anywhere after it, so its work is bounded by
len(value) x len(pattern), while a regex made of ``.*`` runs backtracks exponentially.
Case-insensitive on both sides (``UPPER``), as Django's ``iexact`` does on PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from django.db.models import CharField, Lookup, TextField

from rules.wildcards import sql_like


@CharField.register_lookup
@TextField.register_lookup
class IWildcard(Lookup):
    lookup_name = "iwildcard"
    prepare_rhs = False

    def get_db_prep_lookup(self, value: Any, connection: Any) -> tuple[str, tuple[str, ...]]:
        if not isinstance(value, str):
            raise TypeError(f"iwildcard needs a pattern string, got {type(value).__name__}")
        return "%s", (sql_like(value),)

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[str | int, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"UPPER({lhs}) LIKE UPPER({rhs}) ESCAPE '\\'", (*lhs_params, *rhs_params)
