"""Each partition's inbox: a Redis stream of batches, in arrival order.

Ingest appends a batch (the rows as one JSON text) to the partition's stream and
then publishes a small Celery wake-up to the partition queue. The batch itself never
travels in the Celery message: kombu's Redis transport pops a message before it
records it as unacknowledged, so a worker killed in between would lose what the
message carried. A lost or duplicated wake-up loses nothing here; the partition
applies every stream entry after the last one it applied, exactly once.

Wake-ups are coalesced: appending sets the partition's *wake-up flag* in the same
transaction, and only the appender that set it sends a wake-up; the partition clears
the flag before it reads its inbox. An entry appended while the flag is set is read by
the pump that the flag's wake-up starts (it clears the flag after the entry was
appended, then reads). A flag whose wake-up was lost (broker down, a worker killed
holding it) delays the entries until the partition's next tick (every second), which
pumps too; the flag also expires after ``WAKE_FLAG_TTL_S``.
"""

from __future__ import annotations

from collections.abc import Iterable

from redis.exceptions import ResponseError

from atsd_alerts.redis import client, key

READ_COUNT = 20
WAKE_FLAG_TTL_S = 10


def inbox_key(partition: int) -> str:
    return key("engine", partition, "inbox")


def wake_flag_key(partition: int) -> str:
    return key("engine", partition, "wake")


def append(batches: Iterable[tuple[int, bytes | str]]) -> list[int]:
    """Append (partition, rows JSON) batches in one round trip and one transaction (all
    or none, so a retried hand-off never repeats part of itself); returns the partitions
    the caller must wake (those whose wake-up flag it set, see the module doc)."""
    pipe = client().pipeline(transaction=True)
    partitions: list[int] = []
    for partition, payload in batches:
        pipe.xadd(inbox_key(partition), {"rows": payload})
        if partition not in partitions:
            partitions.append(partition)
    if not partitions:
        return []
    for partition in partitions:
        pipe.set(wake_flag_key(partition), 1, nx=True, ex=WAKE_FLAG_TTL_S)
    flags_set = pipe.execute()[-len(partitions) :]
    return [partition for partition, was_set in zip(partitions, flags_set, strict=True) if was_set]


def clear_wake_flag(partition: int) -> None:
    """Before a read of the inbox: appends from now on send a wake-up again."""
    client().delete(wake_flag_key(partition))


def read_after(partition: int, last_id: str, count: int = READ_COUNT) -> list[tuple[str, bytes]]:
    """Up to ``count`` (entry id, rows JSON) after ``last_id`` ("0" = from the start)."""
    start = "-" if last_id == "0" else f"({last_id}"
    entries: list[tuple[bytes, dict[bytes, bytes]]] = client().xrange(  # type: ignore[assignment]
        inbox_key(partition), min=start, max="+", count=count
    )
    return [(entry_id.decode(), fields[b"rows"]) for entry_id, fields in entries]


def read_one(partition: int, entry_id: str) -> bytes | None:
    entries: list[tuple[bytes, dict[bytes, bytes]]] = client().xrange(  # type: ignore[assignment]
        inbox_key(partition), min=entry_id, max=entry_id, count=1
    )
    return entries[0][1][b"rows"] if entries else None


def last_id(partition: int) -> str:
    """The id of the newest entry ever appended ("0" when none)."""
    try:
        info = client().xinfo_stream(inbox_key(partition))
    except ResponseError:  # the stream does not exist yet
        return "0"
    value = info.get("last-generated-id") or b"0"
    return value.decode() if isinstance(value, bytes) else str(value)
