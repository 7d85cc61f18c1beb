"""Flap damping end to end: samples over TCP → a real engine worker → the alert store
→ a real notify worker → the fake HipChat room. A window that opens and cancels too
often is told once as flapping, and once more when it has been stable for the period."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings

from notifications.models import RuleNotification
from rules.models import AlertHistory
from rules.partition.tasks import engine_queue, tick_partition
from tests.engine_helpers import make_rule, poll, tcp_sender
from tests.factories import bindings_xml
from tests.unit.delivery.factories import RULE, SERVER_URL, binding, hipchat_endpoint, texts

pytestmark = pytest.mark.integration


@pytest.fixture
def tcp(engine_worker, notify_worker, settings):
    settings.SERVER_URL = SERVER_URL
    with tcp_sender() as send:
        yield send


def tick_every_partition() -> None:
    """What beat does once a second: the engine's stable-window check."""
    for partition in range(django_settings.ENGINE_PARTITIONS):
        tick_partition.apply_async(args=[partition], queue=engine_queue(partition))


def test_a_flapping_window_sends_one_flapping_message_then_one_stable_message(tcp, hipchat_fake):
    hipchat_endpoint(hipchat_fake)
    row = binding()
    make_rule(
        RULE, "temperature", "value > 50", "length(1)",
        web_notifications_xml=bindings_xml([row], RULE),
        flap_damping=True, flap_changes=1, flap_period_count=2, flap_period_unit="SECOND",
    )  # fmt: skip
    assert RuleNotification.objects.get().pk == row.pk

    # One batch: OPEN, CANCEL, OPEN, CANCEL (the second cancel: flapping), then two more
    # changes that are held back.
    values = [60, 10, 60, 10, 60, 10]
    tcp(*(f"series e:br-1905 m:temperature={v}" for v in values))
    hipchat_fake.wait_for(lambda log: len(texts(hipchat_fake)) >= 4, timeout=20)

    def stable_told() -> bool:
        tick_every_partition()
        return len(texts(hipchat_fake)) >= 5

    poll(stable_told, timeout=20, what="the stable message")
    sent = texts(hipchat_fake)
    assert [t.split("]")[0] + "]" for t in sent] == [
        "[OPEN]", "[CANCEL]", "[OPEN]", "[FLAPPING]", "[STABLE after flapping]",
    ]  # fmt: skip
    assert sent[3].startswith(
        f"[FLAPPING] {RULE} for br-1905 {{}}: opened and cancelled more than 1 times in "
        "2 seconds. Its OPEN and CANCEL messages are held back until it has been stable "
        "for 2 seconds."
    )
    assert sent[4].startswith(f"[STABLE after flapping] [CANCEL] {RULE} for br-1905")
    # History keeps every change, with the held-back ones marked.
    marks = list(AlertHistory.objects.order_by("id").values_list("type", "flapping"))
    assert marks == [
        ("OPEN", ""), ("CANCEL", ""), ("OPEN", ""), ("CANCEL", "started"),
        ("OPEN", "ongoing"), ("CANCEL", "ongoing"), ("CANCEL", "ended"),
    ]  # fmt: skip
    # Nothing more: told once.
    tick_every_partition()
    poll(lambda: len(texts(hipchat_fake)) == 5, what="no sixth message")
