"""Delivery on Celery: a real notify worker on real Redis, the engine worker, the fake HipChat.

Triggers come either from the running engine fed over TCP (end to end) or from an
in-process engine stored through the engine worker's store path (``store_items``,
which dispatches in its transaction exactly like the worker). Nothing sleeps a fixed time:
every wait polls the fake's log or the database with a timeout.
"""

from __future__ import annotations

import itertools
import re
import signal
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings

from devtools.fakes.hipchat import Reply
from notifications.models import Delivery, DeliveryAttempt, RuleNotification
from notifications.tasks import NOTIFY_QUEUE, sweep
from tests.engine_helpers import database_url, make_rule, poll, tcp_sender
from tests.factories import bindings_xml
from tests.services import celery_worker_process
from tests.unit.delivery.factories import (
    RULE,
    SERVER_URL,
    at,
    binding,
    engine_run,
    hipchat_endpoint,
)
from tests.workers import running_worker

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]

L = f"{SERVER_URL}/rule/edit.xhtml?name={RULE}"


@pytest.fixture(autouse=True)
def server_settings(settings):
    settings.SERVER_URL = SERVER_URL
    settings.TIME_ZONE = "UTC"
    return settings


@pytest.fixture
def tcp(engine_worker, notify_worker):
    with tcp_sender() as send:
        yield send


def notifications(fake) -> list[str]:
    return [r.json["message"] for r in fake.room_messages(2) if r.endpoint == "notification"]


def test_walkthrough_rule_end_to_end_over_tcp(tcp, hipchat_fake):
    hipchat_endpoint(hipchat_fake, message_format="html")
    row = binding()
    # The rule carries its binding as rules.xml does; the engine turns it into `web:` actions.
    make_rule(
        RULE, "temperature", "avg() > 50", "length(3)",
        web_notifications_xml=bindings_xml([row], RULE),
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


def test_a_storm_into_one_room_keeps_its_flood_limit_without_a_429(notify_worker, hipchat_fake):
    """Twelve notifications for a room that takes 5 a second (HipChat's 30 a minute on
    a fast clock): the budget holds them back before sending, so none is answered 429,
    and each window's CANCEL still follows its OPEN."""
    hipchat_fake.flood_limit, hipchat_fake.flood_period_s = 5, 1.0
    hipchat_endpoint(hipchat_fake)
    binding()
    run = engine_run()
    entities = [f"host-{n}" for n in range(6)]
    for entity in entities:
        run.series(55, at(0), entity=entity)
    for entity in entities:
        run.series(20, at(0, 1), entity=entity)

    hipchat_fake.wait_for(lambda log: sum(r.accepted for r in log) >= 12, timeout=60)

    assert [r.status for r in hipchat_fake.log] == [204] * 12
    texts = notifications(hipchat_fake)
    for entity in entities:
        mine = [t.split("]")[0] for t in texts if entity in t]
        assert mine == ["[OPEN", "[CANCEL"], entity
    poll(lambda: not Delivery.objects.filter(status__in=["PENDING", "SENDING"]).exists())
    assert set(Delivery.objects.values_list("status", flat=True)) == {"DELIVERED"}
    assert DeliveryAttempt.objects.exclude(response_code=204).count() == 0


STORM = 1000


def test_a_storm_folds_into_digests_within_the_rooms_limit_naming_each_alert_once(
    notify_worker, hipchat_fake
):
    """A thousand windows opening at once into a room that takes 30 messages a "minute"
    (two seconds here, the fake's setting; the product learns it from the headers):
    what the budget cannot send singly folds into digests, the room never gets more
    than 30 messages in one of its minutes, and each alert is named once, in a
    message of its own or in a digest's attached list."""
    hipchat_fake.flood_limit, hipchat_fake.flood_period_s = 30, 2.0
    hipchat_endpoint(hipchat_fake)
    binding(digest_enabled=True, digest_threshold=10)
    entities = [f"host-{n:04d}" for n in range(STORM)]

    engine_run().series_at_once(55, at(0), entities)

    poll(
        lambda: Delivery.objects.filter(trigger="OPEN", status="DELIVERED").count() == STORM,
        timeout=120,
        what="every alert delivered",
    )
    log = hipchat_fake.log
    assert all(r.status != 429 for r in log)
    floods = sorted(r.received_at for r in log if r.accepted and r.endpoint == "notification")
    started, used = -1e9, 0
    for t in floods:  # the fake's fixed windows: each starts with its first message
        if t >= started + hipchat_fake.flood_period_s:
            started, used = t, 0
        used += 1
        assert used <= 30
    room = hipchat_fake.room_messages(2)
    singles = [r.json["message"] for r in room if r.json and r.json["message"].startswith("[")]
    summaries = [r.json["message"] for r in room if r.json and "Alert storm" in r.json["message"]]
    files = [r.file.data.decode() for r in room if r.file]
    digests = Delivery.objects.filter(trigger="DIGEST")
    assert len(summaries) == len(files) == digests.filter(status="DELIVERED").count() >= 1
    named = Counter(re.findall(r"host-\d{4}", " ".join(singles + files)))
    assert named == Counter(entities)  # each one, once
    assert len(singles) + sum(f.count("host-") for f in files) == STORM
    assert set(Delivery.objects.values_list("status", flat=True)) == {"DELIVERED"}


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
    assert failed.response_code == 401
    assert "HTTP 401" in failed.error
    assert len(hipchat_fake.log) == 2


def test_the_sweep_sends_rows_whose_task_was_lost(notify_worker, hipchat_fake):
    from notifications.delivery import create_deliveries

    hipchat_endpoint(hipchat_fake)
    binding()
    run = engine_run()
    with pytest.MonkeyPatch.context() as patch:  # lose the dispatch's tasks
        patch.setattr("notifications.dispatch.enqueue", lambda *a, **k: None)
        ids = run.series(55, at(0))
    create_deliveries(ids)
    assert Delivery.objects.get().status == "PENDING"
    assert sweep.delay().id
    hipchat_fake.wait_for(lambda log: len(log) == 1, timeout=20)
    assert notifications(hipchat_fake)[0].startswith("[OPEN]")


# --------------------------------------------- faults: outages and a killed worker

READER = ("send_notification", "send_message", "view_messages")


def room_texts(fake) -> list[str]:
    return [t.split("]")[0] + "]" for t in notifications(fake)]


def test_hipchat_down_longer_than_the_backoff_cap_then_back_delivers_all_in_order(
    notify_worker, hipchat_fake, settings
):
    settings.NOTIFY_BACKOFF_CAP = 1  # the outage below lasts many times the cap
    hipchat_endpoint(hipchat_fake)
    binding()
    hipchat_fake.go_down()
    for entity in ("br-1", "br-2"):
        run = engine_run()
        for i, value in enumerate((55, 60, 70, 20)):
            run.series(value, at(0, i), entity=entity)

    # More attempts than the ten that used to end the retries, the room still down.
    poll(
        lambda: Delivery.objects.filter(trigger="OPEN", attempts__gte=12).count() == 2,
        timeout=60,
        what="twelve attempts of each OPEN",
    )
    assert not Delivery.objects.exclude(status__in=["PENDING", "SENDING"]).exists()
    hipchat_fake.come_back()

    poll(
        lambda: Delivery.objects.filter(status="DELIVERED").count() == 8,
        timeout=60,
        what="all eight delivered",
    )
    expected = ["[OPEN]", "[REPEAT]", "[REPEAT]", "[CANCEL]"]
    for entity in ("br-1", "br-2"):
        mine = [t for t in notifications(hipchat_fake) if f" for {entity} " in t]
        assert [t.split(" ")[0] for t in mine] == expected
    assert len(hipchat_fake.room_messages(2)) == 8  # nothing twice


def test_a_cancel_after_a_given_up_open_says_the_open_was_lost(
    notify_worker, hipchat_fake, settings
):
    settings.NOTIFY_BACKOFF_CAP = 1
    hipchat_endpoint(hipchat_fake)
    binding()
    hipchat_fake.go_down()
    run = engine_run()
    settings.NOTIFY_DEADLINE = 8  # the OPEN's deadline; the CANCEL keeps an hour
    run.series(55, at(0))
    settings.NOTIFY_DEADLINE = 3600
    run.series(20, at(0, 1))

    opened = poll(
        lambda: Delivery.objects.filter(trigger="OPEN", status="FAILED").first(),
        timeout=30,
        what="the OPEN given up",
    )
    hipchat_fake.come_back()
    hipchat_fake.wait_for(lambda log: any(r.accepted for r in log), timeout=30)

    [cancel] = notifications(hipchat_fake)
    tries = re.match(r"given up at its deadline after (\d+) attempts: ", opened.last_error)
    assert tries is not None
    assert cancel == (
        f"[CANCEL] {RULE} for br-1905 {{}}. Duration: 1s. {L}\n"
        "Note: the OPEN notification of this alert was not delivered "
        f"(given up at its deadline after {tries.group(1)} attempts)."
    )


def notify_worker_process(log_path: Path) -> subprocess.Popen:
    """``celery worker -Q notify -P threads -c 4`` as make run starts it, on the test
    database."""
    return celery_worker_process(
        NOTIFY_QUEUE, log_path, pool="threads", concurrency=4, DATABASE_URL=database_url(),
        REDIS_URL=settings.REDIS_URL, SERVER_URL=SERVER_URL, TIME_ZONE="UTC",
        NOTIFY_HEARTBEAT_TTL="2",
    )  # fmt: skip


ENTITIES = ("br-1", "br-2", "br-3", "br-4")


def test_a_notify_worker_killed_with_four_requests_in_flight_sends_nothing_twice(
    broker, transactional_db, hipchat_fake, settings, tmp_path
):
    """The issue's fault: kill -9 of notify while HipChat has taken four OPENs into
    the room and holds back its answers."""
    settings.NOTIFY_HEARTBEAT_TTL = 2
    hipchat_endpoint(hipchat_fake, scopes=READER)
    binding()
    hipchat_fake.script(Reply.held(120, endpoint="notification"), times=len(ENTITIES))
    worker = notify_worker_process(tmp_path / "notify.log")
    try:
        run = engine_run()
        for entity in ENTITIES:
            run.series(55, at(0), entity=entity)
        hipchat_fake.wait_for(lambda log: sum(r.accepted for r in log) == 4, timeout=60)
        for entity in ENTITIES:  # each CANCEL queues behind its OPEN in flight
            run.series(20, at(0, 1), entity=entity)
        sending = Delivery.objects.filter(trigger="OPEN", status="SENDING")
        dead = set(sending.values_list("claimed_by", flat=True))
        assert sending.count() == 4
        assert len(dead) == 1
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(10)

    with running_worker([NOTIFY_QUEUE]):

        def taken_back() -> bool:
            sweep()  # what beat runs every 2 s
            return not Delivery.objects.filter(claimed_by__in=dead).exists()

        poll(taken_back, timeout=30, what="the dead worker's claims taken back")
        poll(
            lambda: Delivery.objects.filter(status="DELIVERED").count() == 8,
            timeout=60,
            what="every OPEN and CANCEL delivered",
        )

    for entity in ENTITIES:  # each OPEN once, then its CANCEL
        mine = [t for t in notifications(hipchat_fake) if f" for {entity} " in t]
        assert [t.split(" ")[0] for t in mine] == ["[OPEN]", "[CANCEL]"]
    opened = {r.message_id for r in hipchat_fake.room_messages(2) if "[OPEN]" in r.json["message"]}
    open_rows = DeliveryAttempt.objects.filter(delivery__trigger="OPEN")
    assert {(a.status, a.message_id in opened) for a in open_rows} == {("OK", True)}
    assert all("found in the room's history" in a.error for a in open_rows)
    assert open_rows.count() == 4  # every request HipChat answered has its row
    cancel_rows = DeliveryAttempt.objects.filter(delivery__trigger="CANCEL")
    assert [(a.status, a.response_code) for a in cancel_rows] == [("OK", 204)] * 4
