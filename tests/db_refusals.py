"""Make the test database refuse one value, as a real database refuses what it cannot hold.

A trigger (SQLite or PostgreSQL) that raises on INSERT of a row whose ``column`` is
``value``: the database answers with an integrity error, as it would for a value it
cannot store, and the row's batch is refused. Used to prove that ingest and the alert
store split a refused batch instead of retrying it forever.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.db import connection


@contextlib.contextmanager
def refusing(table: str, column: str, value: str) -> Iterator[None]:
    """``value`` is a plain word: triggers take no bound parameters, so it is inlined."""
    assert value.isidentifier()
    name = f"refuse_{table}_{column}"
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                f"CREATE TRIGGER {name} BEFORE INSERT ON {table} WHEN NEW.{column} = "
                f"'{value}' BEGIN SELECT RAISE(ABORT, 'refused by a test'); END"
            )
        else:
            cursor.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.{column} = '{value}' THEN RAISE EXCEPTION 'refused by a test' "
                "USING ERRCODE = 'check_violation'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                f"CREATE TRIGGER {name} BEFORE INSERT ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {name}()"
            )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            else:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                cursor.execute(f"DROP FUNCTION IF EXISTS {name}()")
