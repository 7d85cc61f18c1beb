"""Give a restarted engine worker back the batch its killed predecessor held.

With late acknowledgement a batch stays in kombu's ``unacked`` hash while it is being
applied. If the worker is killed (SIGKILL, OOM), kombu's Redis transport returns the
message to its queue only after the visibility timeout (an hour by default). Each
partition queue has exactly one consumer, so any unacked message of our queues found
when we start belonged to a dead predecessor: put it back at the head of its queue at
once. The partition skips it if the journal says it was already applied.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any

log = logging.getLogger(__name__)

# kombu.transport.redis.Channel defaults (unacked_key, unacked_index_key).
UNACKED = "unacked"
UNACKED_INDEX = "unacked_index"


def orphan_tags(redis: Any, queues: Iterable[str]) -> list[str]:
    """Delivery tags of unacked messages routed to ``queues``."""
    wanted = set(queues)
    tags = []
    for tag, raw in redis.hscan_iter(UNACKED):
        try:
            _message, _exchange, routing_key = json.loads(raw)
        except (ValueError, TypeError):
            continue
        if routing_key in wanted:
            tags.append(tag.decode() if isinstance(tag, bytes) else tag)
    return tags


def requeue_orphans(consumer: Any) -> int:
    """Called when an engine worker is ready; returns how many batches were requeued."""
    task_consumer = getattr(consumer, "task_consumer", None)
    if task_consumer is None:
        return 0
    queues = [q.name for q in task_consumer.queues if q.name.startswith("engine.")]
    if not queues:
        return 0
    channel = task_consumer.channel
    qos = getattr(channel, "qos", None)
    if qos is None or not hasattr(qos, "restore_by_tag"):
        return 0  # not the Redis transport
    tags = orphan_tags(channel.client, queues)
    for tag in tags:
        qos.restore_by_tag(tag)
    if tags:
        log.warning("requeued %d unacknowledged batches of %s", len(tags), ", ".join(queues))
    return len(tags)
