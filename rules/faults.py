"""Transient or permanent: whether a failed write is worth retrying as it is.

* **Transient**: the service could not be reached or was busy (Redis or the database
  down, a lock wait, a deadlock). The same write will succeed later: retry it, and
  hold back new input meanwhile.
* **Permanent**: the service answered and refused this data (a value too long for
  its column, a constraint). Retrying cannot help: split the batch so that the rest
  lands, and report the item at fault.

PostgreSQL says which by the SQLSTATE class of its error; psycopg files some
permanent refusals (``54000 program_limit_exceeded``, an index row too large) under
``OperationalError``, so the state decides, not the class.
"""

from __future__ import annotations

from django.db import Error as DatabaseError
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

# Connection exception, transaction rollback (deadlock, serialization), insufficient
# resources, operator intervention (shutdown), system error (I/O).
_TRANSIENT_STATE_CLASSES = {"08", "40", "53", "57", "58"}
# Lock not available, object in use.
_TRANSIENT_STATES = {"55P03", "55006"}


def _sqlstate(exc: BaseException) -> str | None:
    for candidate in (exc, exc.__cause__):
        if candidate is None:
            continue
        state = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if isinstance(state, str):
            return state
    return None


def is_transient(exc: BaseException) -> bool:
    """True when ``exc`` says the service was unavailable, False when it refused the data."""
    if isinstance(exc, RedisError | BrokerError | OSError):
        return True
    state = _sqlstate(exc)
    if state is not None:
        return state[:2] in _TRANSIENT_STATE_CLASSES or state in _TRANSIENT_STATES
    if isinstance(exc, DatabaseError):
        # Without a state (SQLite, a lost connection): busy or unreachable, not a refusal.
        return isinstance(exc, OperationalError | InterfaceError)
    return False


def describe(exc: BaseException, limit: int = 300) -> str:
    """A one-line reason for logs and answers: the exception's first line, shortened."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."
