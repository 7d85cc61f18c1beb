"""One trigger the database cannot hold never blocks its partition's outbox."""

import socket

import pytest
from django.conf import settings

from atsd_alerts.redis import client
from rules.engine.grouping import Grouping
from rules.events import SERIES, Event
from rules.ingest.pipeline import hand_off
from rules.ingest.tcp import CommandListener, ListenerThread
from rules.models import Alert, RuleErrorRecord
from rules.partition.journal import PartitionKeys
from rules.routing.table import RouteTable
from tests.engine_helpers import make_rule, poll

pytestmark = pytest.mark.integration

WIDE_TAGS = {"a": "x" * 800, "b": "y" * 800, "c": "z" * 800}  # each fits; together 2,4xx


def partition_of(entity: str, tags: dict[str, str]) -> int:
    event = Event(SERIES, entity, "wide", tags, 0, 0, 1.0)
    return RouteTable(settings.ENGINE_PARTITIONS).partition_of("wide", Grouping(), event, "wide")


def test_tag_values_that_together_overflow_the_window_key_do_not_block_the_outbox(engine_worker):
    make_rule("wide", "wide", "value > 0", "length(1)")
    poisoned = partition_of("poisoned", WIDE_TAGS)
    # A good window in the same partition, whose trigger waits behind the poisoned one.
    good = next(f"good{i}" for i in range(100) if partition_of(f"good{i}", {}) == poisoned)
    listener = ListenerThread(CommandListener(hand_off, flush_ms=10))
    listener.start()
    try:
        wide = " ".join(f"t:{name}={value}" for name, value in WIDE_TAGS.items())
        with socket.create_connection(("127.0.0.1", listener.port), timeout=5) as sock:
            sock.sendall(f"series e:poisoned m:wide=1 {wide}\n".encode())
            sock.sendall(f"series e:{good} m:wide=1\n".encode())
        poll(lambda: Alert.objects.filter(rule="wide", entity=good).exists(), 20,
             "the alert of the window behind the poisoned trigger")  # fmt: skip
    finally:
        listener.stop()
    assert not Alert.objects.filter(entity="poisoned").exists()
    error = RuleErrorRecord.objects.get(rule="wide")
    assert error.error.startswith("OPEN trigger not stored: its window key is")
    outbox = PartitionKeys(poisoned).outbox
    poll(lambda: client().llen(outbox) == 0, 10, "the outbox trimmed")
