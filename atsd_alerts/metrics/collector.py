"""The figures ``/metrics`` exports: the tallies every process added to Redis, and the
queue depths, open alerts and windows read at scrape time.

A counter or histogram is the sum over all processes and hosts (they all add to one
Redis hash, :mod:`atsd_alerts.metrics.tally`), so one scrape of any web process sees
the whole stack. Depths are read where they are kept: the partition inboxes from the
appended and applied counts, the outboxes and Celery queues as Redis lists, pending
deliveries and open alerts from the database, windows from what each partition
publishes every few seconds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from django.conf import settings
from django.db.models import Count
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from atsd_alerts.metrics import tally
from atsd_alerts.redis import client
from notifications.models import Delivery, DeliveryStatus
from notifications.tasks import NOTIFY_QUEUE
from rules.models import Alert
from rules.partition.journal import PartitionKeys
from rules.partition.monitoring import window_count_key
from rules.partition.tasks import engine_queue

PREFIX = "atsd_alerts_"

# name → (help, label names), in tally's words; exported as PREFIX + name + "_total".
COUNTERS = {
    tally.COMMANDS_RECEIVED: ("Commands accepted over TCP and HTTP.", ()),
    tally.SAMPLES_ROUTED: ("Events appended to an engine partition's inbox.", ("partition",)),
    tally.INBOX_APPENDED: ("Batches appended to an engine partition's inbox.", ("partition",)),
    tally.INBOX_APPLIED: ("Inbox batches the engine partition applied.", ("partition",)),
    tally.TRIGGERS_EVALUATED: ("Triggers the engine made (OPEN, REPEAT, CANCEL).", ("status",)),
    tally.TRIGGERS_STORED: ("Trigger records the alert store wrote.", ("status",)),
    tally.DELIVERIES_FINISHED: (
        "Notifications finished, by channel kind and outcome.",
        ("channel", "status"),
    ),
}
# name → (help, label names); exported as PREFIX + name + "_seconds".
HISTOGRAMS = {
    tally.STAGE_LATENCY: (
        "Time from the stage before: routed (sample received → batch in the partition "
        "inbox), evaluated (→ engine done with the batch), stored (→ trigger record "
        "written), sent (→ notification answered).",
        ("stage",),
    ),
    tally.DELIVERY_LATENCY: (
        "Time from the trigger stored to its notification sent, by channel kind.",
        ("channel",),
    ),
}
# Kombu's Redis transport keeps a queue's messages of each priority step in its own list.
_PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")


def _labels(text: str) -> dict[str, str]:
    return dict(pair.split("=", 1) for pair in text.split(",")) if text else {}


def _counter_families(fields: dict[str, int]) -> Iterator[Metric]:
    families = {
        name: CounterMetricFamily(PREFIX + name, doc, labels=list(labels))
        for name, (doc, labels) in COUNTERS.items()
    }
    for field, value in sorted(fields.items()):
        kind, name, labels = field.split("|", 2)
        if kind == "c" and name in families:
            found = _labels(labels)
            names = COUNTERS[name][1]
            families[name].add_metric([found.get(n, "") for n in names], value)
    yield from families.values()


def _histogram_families(fields: dict[str, int]) -> Iterator[Metric]:
    # (name, labels text) → bucket index → count, and "sum_us"
    series: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for field, value in fields.items():
        kind, name, rest = field.split("|", 2)
        if kind == "h":
            labels, _, part = rest.rpartition("|")
            series[(name, labels)][part] = value
    for name, (doc, label_names) in HISTOGRAMS.items():
        family = HistogramMetricFamily(PREFIX + name + "_seconds", doc, labels=list(label_names))
        for (found_name, labels), parts in sorted(series.items()):
            if found_name != name:
                continue
            cumulative, buckets = 0, []
            for i, bound in enumerate((*tally.BUCKETS_S, float("inf"))):
                cumulative += parts.get(str(i), 0)
                buckets.append(("+Inf" if bound == float("inf") else str(bound), cumulative))
            found = _labels(labels)
            family.add_metric(
                [found.get(n, "") for n in label_names],
                buckets,
                sum_value=parts.get("sum_us", 0) / 1_000_000,
            )
        yield family


def _queue_families(fields: dict[str, int]) -> Iterator[Metric]:
    partitions = range(settings.ENGINE_PARTITIONS)
    redis = client()
    pipe = redis.pipeline(transaction=False)
    for p in partitions:
        pipe.llen(PartitionKeys(p).outbox)
        pipe.get(window_count_key(p))
    queues = [engine_queue(p) for p in partitions] + [NOTIFY_QUEUE]
    for queue in queues:
        for suffix in _PRIORITY_SUFFIXES:
            pipe.llen(queue + suffix)
    answers = iter(pipe.execute())

    inbox = GaugeMetricFamily(
        PREFIX + "inbox_depth",
        "Batches waiting in an engine partition's inbox (appended, not yet applied).",
        labels=["partition"],
    )
    outbox = GaugeMetricFamily(
        PREFIX + "outbox_depth",
        "Trigger events and rule errors in a partition's outbox, not yet stored.",
        labels=["partition"],
    )
    windows = GaugeMetricFamily(
        PREFIX + "windows",
        "Active windows of an engine partition (as it last published them).",
        labels=["partition"],
    )
    for p in partitions:
        appended = fields.get(f"c|{tally.INBOX_APPENDED}|partition={p}", 0)
        applied = fields.get(f"c|{tally.INBOX_APPLIED}|partition={p}", 0)
        inbox.add_metric([str(p)], max(0, appended - applied))
        outbox.add_metric([str(p)], next(answers))
        windows.add_metric([str(p)], int(next(answers) or 0))
    celery = GaugeMetricFamily(
        PREFIX + "celery_queue_depth", "Messages waiting in a Celery queue.", labels=["queue"]
    )
    for queue in queues:
        celery.add_metric([queue], sum(next(answers) for _ in _PRIORITY_SUFFIXES))
    yield from (inbox, outbox, windows, celery)


def _database_families() -> Iterator[Metric]:
    pending = GaugeMetricFamily(
        PREFIX + "pending_deliveries",
        "Notifications not finished: waiting (pending) or being sent (sending).",
        labels=["channel", "status"],
    )
    counts = (
        Delivery.objects.filter(status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING])
        .values_list("channel", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for channel, status, n in counts:
        pending.add_metric([channel, status.lower()], n)
    alerts = GaugeMetricFamily(
        PREFIX + "open_alerts", "Open alerts, by severity.", labels=["severity"]
    )
    by_severity = Alert.objects.values_list("severity").annotate(n=Count("id")).order_by()
    for severity, n in by_severity:
        alerts.add_metric([severity], n)
    yield from (pending, alerts)


class StackCollector(Collector):
    """Every figure of the stack, read anew on each scrape."""

    def collect(self) -> Iterator[Metric]:
        fields = tally.read_all()
        yield from _counter_families(fields)
        yield from _histogram_families(fields)
        yield from _queue_families(fields)
        yield from _database_families()
