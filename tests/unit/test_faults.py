"""Transient or permanent: how failed writes are told apart."""

import sqlite3

import psycopg
import pytest
from django.db import DataError, IntegrityError, InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError

from rules.faults import describe, is_transient


def wrapped(django_class, cause: Exception) -> Exception:
    """A Django database error as Django raises it: the driver's error as its cause."""
    error = django_class(str(cause))
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    "error",
    [
        RedisConnectionError("Connection refused"),
        BrokerError("Error 111 connecting to localhost:6379"),
        ConnectionRefusedError(111, "Connection refused"),
        wrapped(OperationalError, psycopg.errors.AdminShutdown("terminating connection")),
        wrapped(OperationalError, psycopg.errors.DeadlockDetected("deadlock detected")),
        wrapped(OperationalError, psycopg.errors.LockNotAvailable("could not obtain lock")),
        wrapped(OperationalError, psycopg.OperationalError("connection failed")),
        wrapped(OperationalError, sqlite3.OperationalError("database is locked")),
        wrapped(InterfaceError, psycopg.InterfaceError("connection already closed")),
    ],
    ids=repr,
)
def test_unreachable_or_busy_services_are_transient(error):
    assert is_transient(error)


@pytest.mark.parametrize(
    "error",
    [
        wrapped(
            DataError,
            psycopg.errors.StringDataRightTruncation("value too long for type character varying"),
        ),
        # psycopg files this under OperationalError; its SQLSTATE says it is a refusal.
        wrapped(OperationalError, psycopg.errors.ProgramLimitExceeded("index row size exceeds")),
        wrapped(IntegrityError, psycopg.errors.CheckViolation("violates check constraint")),
        wrapped(IntegrityError, sqlite3.IntegrityError("refused")),
        wrapped(DataError, psycopg.DataError("PostgreSQL text fields cannot contain NUL")),
        ValueError("a bug"),
    ],
    ids=repr,
)
def test_data_the_database_refuses_is_permanent(error):
    assert not is_transient(error)


def test_describe_gives_the_first_line_shortened():
    assert describe(ValueError("first line\nsecond")) == "first line"
    assert describe(ValueError("x" * 500), limit=10) == "xxxxxxx..."
    assert describe(ValueError()) == "ValueError"
