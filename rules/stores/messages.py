"""Stored messages: every ``message`` command, kept for a bounded time, written at ingest.

``p:false`` messages are for the rule engine only and are not stored. The store keeps
``MESSAGE_RETENTION_HOURS`` hours (by receive time) and at most
``MESSAGE_STORE_MAX_RECORDS`` messages; ``expire`` enforces both. Functions read the
newest ``MAX_READ`` messages of one (entity, type, source) selection at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from django.conf import settings

from rules.events import MESSAGE, Event
from rules.expressions.stores import MessageItem
from rules.models import MessageRecord
from rules.stores.bounds import delete_beyond
from rules.stores.cache import TtlCache

MAX_READ = 10_000


def record(events: Sequence[Event]) -> None:
    """Store the message commands among ``events``."""
    stamp = datetime.now(tz=UTC)
    rows = [
        MessageRecord(
            entity=e.entity,
            type=e.type or "",
            source=e.source or "",
            severity=e.severity,
            tags=e.tags,
            text=e.text or "",
            time_ms=e.time_ms,
            received=stamp,
        )
        for e in events
        if e.kind == MESSAGE and e.persist
    ]
    if rows:
        MessageRecord.objects.bulk_create(rows)


def expire(retention_hours: int, max_records: int) -> int:
    """Delete messages received over ``retention_hours`` ago, then the oldest beyond
    ``max_records``; how many went."""
    cutoff = datetime.now(tz=UTC) - timedelta(hours=retention_hours)
    deleted = MessageRecord.objects.filter(received__lt=cutoff).delete()[0]
    newest_first = MessageRecord.objects.order_by("-received", "-id")
    return deleted + delete_beyond(newest_first, max_records)


def _item(row: MessageRecord) -> MessageItem:
    return MessageItem(
        entity=row.entity, type=row.type, source=row.source, severity=row.severity,
        tags=row.tags, text=row.text, time_ms=row.time_ms,
    )  # fmt: skip


class MessageReader:
    """The newest messages of an (entity, type, source) selection through a TTL cache;
    None in a part means any. Type and source compare case-insensitively. Messages
    received over ``MESSAGE_RETENTION_HOURS`` ago are not read, whether or not
    ``expire`` has deleted them yet."""

    def __init__(self, cache: TtlCache[tuple[MessageItem, ...]]) -> None:
        self.cache = cache

    def messages(
        self, entity: str | None, type_: str | None, source: str | None
    ) -> tuple[MessageItem, ...]:
        def load() -> tuple[MessageItem, ...]:
            kept = datetime.now(tz=UTC) - timedelta(hours=settings.MESSAGE_RETENTION_HOURS)
            rows = MessageRecord.objects.filter(received__gte=kept)
            if entity is not None:
                rows = rows.filter(entity=entity)
            if type_ is not None:
                rows = rows.filter(type__iexact=type_)
            if source is not None:
                rows = rows.filter(source__iexact=source)
            return tuple(_item(r) for r in rows.order_by("-time_ms", "-id")[:MAX_READ])

        return self.cache.get(("message", entity, type_, source), load)
