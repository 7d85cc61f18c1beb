"""Counters and latency histograms every process adds to, summed in one Redis hash.

The stack runs as many processes, possibly on many hosts (web, listeners, engine.N
workers, notify workers), so no process's memory holds the figures: each one counts
in a :class:`Tally` while it works and adds the tally to the shared hash with
``HINCRBY``, inside a pipeline it sends anyway (the inbox append, the partition's
journal write) or in one pipeline per stored batch or finished delivery: never a
round trip per sample. Redis sums what every process added; the web process reads the
sums on a scrape (:mod:`atsd_alerts.metrics.collector`).

Fields of the hash: ``c|<name>|<labels>`` for a counter; ``h|<name>|<labels>|<i>`` for
the number of observations in bucket ``i`` of :data:`BUCKETS_S` (not cumulative; ``i``
= ``len(BUCKETS_S)`` for +Inf) and ``h|<name>|<labels>|sum_us`` for their sum in
microseconds. ``<labels>`` is ``k=v,k=v`` sorted by name; label values are our own
words (stage names, statuses, channel kinds, partition numbers), never user text.
"""

from __future__ import annotations

import bisect
import logging
from collections import Counter
from typing import Any

from redis.exceptions import RedisError

from atsd_alerts.redis import client, key

log = logging.getLogger(__name__)

# Upper bounds of the latency buckets, seconds: from a millisecond (one batch through
# a quiet stack) to five minutes (a notification waiting out a rate limit).
BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
             10.0, 30.0, 60.0, 120.0, 300.0)  # fmt: skip
_BUCKETS_MS = tuple(b * 1000 for b in BUCKETS_S)

# Counters
COMMANDS_RECEIVED = "commands_received"  # accepted commands, TCP and HTTP
SAMPLES_ROUTED = "samples_routed"  # events appended to a partition inbox {partition}
INBOX_APPENDED = "inbox_batches_appended"  # inbox entries appended {partition}
INBOX_APPLIED = "inbox_batches_applied"  # inbox entries the engine applied {partition}
TRIGGERS_EVALUATED = "triggers_evaluated"  # triggers the engine made {status}
TRIGGERS_STORED = "triggers_stored"  # trigger records written {status}
DELIVERIES_FINISHED = "deliveries_finished"  # deliveries finished {channel, status}
# Histograms
STAGE_LATENCY = "stage_latency"  # time from the stage before {stage}
DELIVERY_LATENCY = "delivery_latency"  # trigger stored → message sent {channel}


def metrics_key() -> str:
    return key("metrics")


def label_text(labels: dict[str, Any]) -> str:
    return ",".join(f"{k}={labels[k]}" for k in sorted(labels))


class Tally:
    """What one process counted since its last write; cheap to fill, written in one go."""

    __slots__ = ("fields",)

    def __init__(self) -> None:
        self.fields: Counter[str] = Counter()

    def count(self, name: str, n: int = 1, **labels: Any) -> Tally:
        if n:
            self.fields[f"c|{name}|{label_text(labels)}"] += n
        return self

    def observe_ms(self, name: str, ms: float, **labels: Any) -> Tally:
        """One latency of ``ms`` milliseconds (a negative one, clocks of two hosts
        disagreeing, counts as zero)."""
        ms = max(0.0, ms)
        prefix = f"h|{name}|{label_text(labels)}|"
        fields = self.fields
        fields[prefix + str(bisect.bisect_left(_BUCKETS_MS, ms))] += 1
        fields[prefix + "sum_us"] += round(ms * 1000)
        return self

    def add_to(self, pipe: Any) -> None:
        """Queue the ``HINCRBY``\\ s on ``pipe``, a pipeline the caller sends (again,
        after a failed send: the tally is kept)."""
        name = metrics_key()
        for field, n in self.fields.items():
            pipe.hincrby(name, field, n)

    def write(self) -> None:
        """Send the tally in one pipeline; a Redis failure loses these figures only:
        monitoring never costs the work it measures."""
        if not self.fields:
            return
        pipe = client().pipeline(transaction=False)
        self.add_to(pipe)
        self.fields.clear()
        try:
            pipe.execute()
        except RedisError as exc:
            log.warning("metrics not written: %s", exc)


def read_all() -> dict[str, int]:
    """Every field of the hash with its sum over all processes."""
    raw: dict[bytes, bytes] = client().hgetall(metrics_key())  # type: ignore[assignment]
    return {f.decode(): int(v) for f, v in raw.items()}
