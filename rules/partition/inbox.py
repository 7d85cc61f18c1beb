"""Each partition's inbox: a Redis stream of batches, in arrival order.

Ingest appends a batch (the rows as one JSON text) to the partition's stream and
then publishes a small Celery wake-up to the partition queue. The batch itself never
travels in the Celery message: kombu's Redis transport pops a message before it
records it as unacknowledged, so a worker killed in between would lose what the
message carried. A lost or duplicated wake-up loses nothing here; the partition
applies every stream entry after the last one it applied, exactly once.

A partition that has a wake-up pending is not sent another: the append that finds none
pending marks one (in its transaction) and only that hand-off publishes it; the
partition takes the mark before it reads its inbox. So however many hand-offs land
while a partition is busy, it gets one Celery message for all of them.
"""

from __future__ import annotations

from collections.abc import Iterable

from redis.exceptions import ResponseError

from atsd_alerts.redis import client, key

READ_COUNT = 20
# How long a wake-up counts as pending when the partition does not take it.
WAKE_PENDING_MS = 2000


def inbox_key(partition: int) -> str:
    return key("engine", partition, "inbox")


def wake_key(partition: int) -> str:
    return key("engine", partition, "wake")


def append(batches: Iterable[tuple[int, bytes | str]]) -> list[int]:
    """Append (partition, rows JSON) batches in one round trip and one transaction (all
    or none, so a retried hand-off never repeats part of itself); returns the partitions
    to wake: those without a wake-up pending already (see ``take_wake``)."""
    batches = list(batches)
    if not batches:
        return []
    partitions = list(dict.fromkeys(partition for partition, _ in batches))
    pipe = client().pipeline(transaction=True)
    # The marks go first so that their answers lead the transaction's, whatever follows.
    for partition in partitions:
        # Expires in case the wake-up it stands for is lost; the tick covers until then.
        pipe.set(wake_key(partition), 1, nx=True, px=WAKE_PENDING_MS)
    for partition, payload in batches:
        pipe.xadd(inbox_key(partition), {"rows": payload})
    newly_set = pipe.execute()[: len(partitions)]
    return [partition for partition, woken in zip(partitions, newly_set, strict=True) if woken]


def take_wake(partition: int) -> None:
    """Called by the partition as it starts reading its inbox: what is appended from now
    on wakes it again, and what was appended before it reads anyway."""
    client().delete(wake_key(partition))


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
