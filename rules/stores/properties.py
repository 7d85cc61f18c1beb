"""Property records: the latest state per (entity, type, keys), written at ingest.

Every ``property`` command (``p:false`` ones excepted: those are for the rule engine
only) updates its record: the command's tags merge into the stored ones, an empty
value deletes its tag (spec §1.5 #12). A command older than the stored one changes
nothing; the same command applied twice (a retried hand-off) changes nothing either.
The store keeps at most ``PROPERTY_STORE_MAX_RECORDS`` records: ``trim`` drops the
least recently updated beyond it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime

import orjson
from django.db import transaction

from rules.events import PROPERTY, Event
from rules.expressions.stores import PropertyItem
from rules.models import PropertyRecord
from rules.stores.bounds import delete_beyond
from rules.stores.cache import TtlCache

# Records of one (entity, type) an expression sees at most: the newest ones.
MAX_RECORDS_PER_TYPE = 1000
_UPDATED_FIELDS = ["tags", "last_tags", "previous_tags", "time_ms", "updated"]


def identity(entity: str, type_: str, keys: dict[str, str]) -> str:
    """The digest that names a record: entity, type and sorted keys."""
    data = orjson.dumps([entity, type_, sorted(keys.items())])
    return hashlib.sha256(data).hexdigest()


def _apply(record: PropertyRecord, event: Event, stamp: datetime) -> bool:
    """Merge ``event`` into ``record``; False when it changes nothing."""
    own = {name: value for name, value in event.tags.items() if value != ""}
    merged = {**record.tags, **event.tags}
    merged = {name: value for name, value in merged.items() if value != ""}
    if event.time_ms < record.time_ms:
        return False
    if event.time_ms == record.time_ms and record.last_tags == own and record.tags == merged:
        return False  # the same command again
    record.previous_tags = record.tags
    record.tags = merged
    record.last_tags = own
    record.time_ms = event.time_ms
    record.updated = stamp
    return True


def record(events: Sequence[Event]) -> None:
    """Store the property commands among ``events`` (one transaction)."""
    commands = [e for e in events if e.kind == PROPERTY and e.persist and e.type]
    if not commands:
        return
    by_identity: dict[str, list[Event]] = {}
    for event in commands:
        by_identity.setdefault(identity(event.entity, event.type or "", event.keys), []).append(
            event
        )
    stamp = datetime.now(tz=UTC)
    with transaction.atomic():
        stored = {
            r.identity: r
            for r in PropertyRecord.objects.select_for_update().filter(
                identity__in=list(by_identity)
            )
        }
        created: list[PropertyRecord] = []
        changed: list[PropertyRecord] = []
        for ident, group in by_identity.items():
            found = stored.get(ident)
            first = group[0]
            rec = found or PropertyRecord(
                identity=ident, entity=first.entity, type=first.type or "", keys=dict(first.keys),
                tags={}, time_ms=first.time_ms, updated=stamp,
            )  # fmt: skip
            applied = [_apply(rec, event, stamp) for event in group]
            if found is None:
                created.append(rec)
            elif any(applied):
                changed.append(rec)
        if created:
            # Another process may have created one meanwhile: the newest write wins.
            PropertyRecord.objects.bulk_create(
                created, update_conflicts=True, unique_fields=["identity"],
                update_fields=_UPDATED_FIELDS,
            )  # fmt: skip
        if changed:
            PropertyRecord.objects.bulk_update(changed, _UPDATED_FIELDS)


def trim(max_records: int) -> int:
    """Delete the least recently updated records beyond ``max_records``; how many went."""
    return delete_beyond(PropertyRecord.objects.order_by("-updated", "-id"), max_records)


def _item(rec: PropertyRecord) -> PropertyItem:
    return PropertyItem(
        type=rec.type, keys=rec.keys, tags=rec.tags, time_ms=rec.time_ms,
        last_tags=rec.last_tags, previous_tags=rec.previous_tags,
    )  # fmt: skip


class PropertyReader:
    """The records of one (entity, type), newest first, through a TTL cache."""

    def __init__(self, cache: TtlCache[tuple[PropertyItem, ...]]) -> None:
        self.cache = cache

    def properties(self, entity: str, type_: str) -> tuple[PropertyItem, ...]:
        def load() -> tuple[PropertyItem, ...]:
            rows = PropertyRecord.objects.filter(entity=entity, type=type_).order_by(
                "-time_ms", "-id"
            )[:MAX_RECORDS_PER_TYPE]
            return tuple(_item(r) for r in rows)

        return self.cache.get(("property", entity, type_), load)


def command_tags(
    entity: str, type_: str, keys: dict[str, str], time_ms: int | None
) -> dict[str, str]:
    """The tags of the property command at ``time_ms`` for this record: its own tags
    while it is still the newest command, else the record's current merged tags;
    ``{}`` when the record is not stored."""
    rec = PropertyRecord.objects.filter(identity=identity(entity, type_, keys)).first()
    if rec is None:
        return {}
    return dict(rec.last_tags if rec.time_ms == time_ms else rec.tags)
