"""What rule functions read from the stores: the series history (``db_last``,
``db_statistic``, ``db_statistics``, ``loadHistory``), the alert history
(``last_open``) and the named locks of ``lock``/``unlock`` (Redis keys shared by
every partition and notify process), behind one ``StoreReads``
(rules.expressions.context).

The partition gives one to its engine and the notify worker one to each rendering.
Alert-history answers are cached like the series reads (``CACHE_SIZE`` windows for
``CACHE_TTL_S``), so a rule calling ``last_open()`` on every sample costs one query
per window and second at most; a database error is an ``EvaluationError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import DatabaseError
from redis import RedisError

from rules.expressions.errors import EvaluationError
from rules.history.reads import SeriesReads, TtlCache, reads_client
from rules.models import AlertHistory

# How many of a (rule, metric, entity)'s newest OPEN/REPEAT records are searched for
# one whose tags hold the window's tags.
SEARCHED_RECORDS = 50
LOCK_PREFIX = "atsd:lock:"


def _tags_of(text: str) -> dict[str, str]:
    pairs = (part.split("=", 1) for part in text.split(";") if "=" in part)
    return dict(pairs)


def last_open_record(
    rule: str, metric: str, entity: str, tags: Mapping[str, str]
) -> dict[str, Any] | None:
    """The newest OPEN/REPEAT alert-history record of the window (rule, metric, entity,
    window tags), as ``StoreReads.last_open`` describes it; None when there is none."""
    rows = AlertHistory.objects.filter(
        rule=rule, metric=metric, entity=entity, type__in=("OPEN", "REPEAT")
    ).order_by("-date", "-id")[:SEARCHED_RECORDS]
    for row in rows:
        have = _tags_of(row.tags)
        if all(have.get(k) == v for k, v in tags.items()):
            return {
                "time": int(row.date.timestamp() * 1000),
                "value": float("nan") if row.value is None else row.value,
                "severity": row.severity,
                "status": row.type,
                "repeat_count": row.repeat_count,
                "message": row.alert,
            }
    return None


class StoreReadsService(SeriesReads):
    """``StoreReads`` over the series history and the alert history."""

    def __init__(self) -> None:
        super().__init__()
        self._opens: TtlCache[tuple[Any, ...], dict[str, Any] | None] = TtlCache()

    def last_open(
        self, rule: str, metric: str, entity: str, tags: Mapping[str, str]
    ) -> dict[str, Any] | None:
        key = (rule, metric, entity, tuple(sorted(tags.items())))
        hit, record = self._opens.get(key)
        if hit:
            return record
        try:
            record = last_open_record(rule, metric, entity, tags)
        except DatabaseError as exc:
            raise EvaluationError(f"alert history unavailable: {exc}") from exc
        self._opens.put(key, record)
        return record

    def lock(self, key: str, ttl_ms: int) -> bool:
        try:
            return bool(reads_client().set(LOCK_PREFIX + key, b"1", nx=True, px=max(1, ttl_ms)))
        except RedisError as exc:
            raise EvaluationError(f"lock store unavailable: {exc}") from exc

    def unlock(self, key: str) -> bool:
        try:
            return bool(reads_client().delete(LOCK_PREFIX + key))
        except RedisError as exc:
            raise EvaluationError(f"lock store unavailable: {exc}") from exc
