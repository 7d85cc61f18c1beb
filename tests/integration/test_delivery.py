"""Delivery on Celery: a real notify worker on real Redis, the engine worker, the fake HipChat.

Triggers come either from the running engine fed over TCP (end to end) or from an
in-process engine stored through the engine worker's store path (``store_items``,
which dispatches on commit exactly like the worker). Nothing sleeps a fixed time:
every wait polls the fake's log or the database with a timeout.
"""

from __future__ import annotations

import itertools
import re
import socket

import pytest

from notifications.bindings.xml import render_bindings
from notifications.bindings_model import RuleNotification
from notifications.delivery_model import Delivery, DeliveryAttempt
from notifications.tasks import sweep
from rules.ingest.pipeline import hand_off
from rules.ingest.tcp import CommandListener, ListenerThread
from tests.engine_helpers import make_rule, poll
from tests.fakes.hipchat import Reply, hipchat_fake
from tests.unit.delivery.factories import (
    RULE,
    SERVER_URL,
    at,
    binding,
    engine_run,
    hipchat_endpoint,
)

pytestmark = pytest.mark.integration
__all__ = ["hipchat_fake"]

L = f"{SERVER_URL}/rule/edit.xhtml?name={RULE}"


@pytest.fixture(autouse=True)
def server_settings(settings):
    settings.SERVER_URL = SERVER_URL
    settings.TIME_ZONE = "UTC"
    return settings


@pytest.fixture
def tcp(engine_worker, notify_worker):
    listener = ListenerThread(CommandListener(hand_off, flush_ms=10))
    listener.start()

    def send(*lines: str) -> None:
        with socket.create_connection(("127.0.0.1", listener.port), timeout=5) as sock:
            sock.sendall("".join(line + "\n" for line in lines).encode())

    yield send
    listener.stop()


def notifications(fake) -> list[str]:
    return [r.json["message"] for r in fake.room_messages(2) if r.endpoint == "notification"]


def test_walkthrough_rule_end_to_end_over_tcp(tcp, hipchat_fake):
    hipchat_endpoint(hipchat_fake, message_format="html")
    row = binding()
    # The rule carries its binding as rules.xml does; the engine turns it into `web:` actions.
    make_rule(
        RULE, "temperature", "avg() > 50", "length(3)",
        web_notifications_xml=render_bindings([row], RULE),
    )  # fmt: skip
    assert RuleNotification.objects.get().pk == row.pk  # the XML says what the row says

    tcp("series e:br-1905 m:temperature=55")
    hipchat_fake.wait_for(lambda log: len(log) >= 1, timeout=20)
    tcp("series e:br-1905 m:temperature=60")
    hipchat_fake.wait_for(lambda log: len(log) >= 2, timeout=20)
    tcp("series e:br-1905 m:temperature=20")
    hipchat_fake.wait_for(lambda log: len(log) >= 3, timeout=20)

    sent = hipchat_fake.room_messages(2)
    link = f'<a href="{L}">{RULE}</a>'
    assert [r.json["message_format"] for r in sent] == ["html"] * 3
    assert [r.json["color"] for r in sent] == ["yellow"] * 3  # WARNING
    assert sent[0].json["message"] == f"[OPEN] {RULE} for br-1905 {{}}. {link}"
    later = re.compile(rf"\[(REPEAT|CANCEL)\] {RULE} for br-1905 \{{\}}\. Duration: \d+s\. ")
    assert [later.match(r.json["message"]).group(1) for r in sent[1:]] == ["REPEAT", "CANCEL"]
    assert all(r.json["message"].endswith(link) for r in sent)
    poll(lambda: Delivery.objects.filter(status="DELIVERED").count() == 3, what="3 delivered")
    assert DeliveryAttempt.objects.filter(status="OK", response_code=204).count() == 3


def test_500_twice_then_204_is_delivered_once_on_the_third_attempt(notify_worker, hipchat_fake):
    hipchat_endpoint(hipchat_fake)
    binding()
    hipchat_fake.script(Reply(status=500), times=2)
    engine_run().series(55, at(0))
    hipchat_fake.wait_for(lambda log: [r.status for r in log] == [500, 500, 204], timeout=30)
    row = poll(lambda: Delivery.objects.filter(status="DELIVERED").first(), what="delivered")
    assert row.attempts == 3
    log = DeliveryAttempt.objects.order_by("id")
    assert [(a.attempt, a.response_code, a.status) for a in log] == [
        (1, 500, "RETRY"),
        (2, 500, "RETRY"),
        (3, 204, "OK"),
    ]
    assert len(hipchat_fake.room_messages(2)) == 1


def test_rate_limits_and_outages_lose_nothing_and_keep_the_order(notify_worker, hipchat_fake):
    """The issue's check: 429 (reset 2 s ahead) five times, then 503 twice."""
    hipchat_endpoint(hipchat_fake)
    binding()
    hipchat_fake.script(Reply.rate_limited(reset_in_s=2), times=5)
    hipchat_fake.script(Reply(status=503), times=2)
    run = engine_run()
    for i, value in enumerate((55, 60, 70, 20)):  # avg of [60, 70, 20] is 50: CANCEL
        run.series(value, at(0, i))
    expected = ["[OPEN", "[REPEAT", "[REPEAT", "[CANCEL"]

    hipchat_fake.wait_for(lambda log: sum(r.accepted for r in log) >= 4, timeout=60)
    assert [t.split("]")[0] for t in notifications(hipchat_fake)] == expected
    log = hipchat_fake.log
    assert [r.status for r in log[:7]] == [429] * 5 + [503] * 2
    # Each retry after a 429 waited for the announced reset.
    for answered, retried in itertools.pairwise(log[:6]):
        reset = float(answered.response_headers["X-Ratelimit-Reset"])
        assert retried.received_at >= reset - 1.0  # the reset is whole seconds
    poll(lambda: not Delivery.objects.filter(status__in=["PENDING", "SENDING"]).exists())
    rows = Delivery.objects.order_by("sequence")
    assert [(d.trigger, d.status) for d in rows] == [
        ("OPEN", "DELIVERED"),
        ("REPEAT", "DELIVERED"),
        ("REPEAT", "DELIVERED"),
        ("CANCEL", "DELIVERED"),
    ]
    assert [d.attempts for d in rows] == [8, 1, 1, 1]
    codes = [a.response_code for a in DeliveryAttempt.objects.order_by("id")]
    assert codes == [429] * 5 + [503] * 2 + [204] * 4
    assert len(hipchat_fake.log) == 11  # exactly once each: nothing sent twice


def test_a_401_is_logged_once_and_not_retried(notify_worker, hipchat_fake):
    hipchat_endpoint(hipchat_fake)
    binding()
    hipchat_fake.script(Reply(status=401))
    run = engine_run()
    run.series(55, at(0))
    run.series(60, at(0, 1))
    hipchat_fake.wait_for(lambda log: len(log) >= 2, timeout=20)
    poll(lambda: not Delivery.objects.filter(status__in=["PENDING", "SENDING"]).exists())
    rows = Delivery.objects.order_by("sequence")
    assert [(d.trigger, d.status, d.attempts) for d in rows] == [
        ("OPEN", "FAILED", 1),
        ("REPEAT", "DELIVERED", 1),
    ]
    [failed] = DeliveryAttempt.objects.filter(status="ERROR")
    assert failed.response_code == 401 and "HTTP 401" in failed.error
    assert len(hipchat_fake.log) == 2


def test_the_sweep_sends_rows_whose_task_was_lost(notify_worker, hipchat_fake):
    from notifications.delivery import create_deliveries

    hipchat_endpoint(hipchat_fake)
    binding()
    run = engine_run()
    with pytest.MonkeyPatch.context() as patch:  # lose the dispatch's tasks
        patch.setattr("notifications.tasks.enqueue", lambda *a, **k: None)
        ids = run.series(55, at(0))
    create_deliveries(ids)
    assert Delivery.objects.get().status == "PENDING"
    assert sweep.delay().id
    hipchat_fake.wait_for(lambda log: len(log) == 1, timeout=20)
    assert notifications(hipchat_fake)[0].startswith("[OPEN]")
