"""Claims and heartbeats: a dead notify worker's claims come back within seconds.

Real Redis (the session's broker) holds the heartbeats; the rows are claimed as a
notify worker claims them, and the sweep is the function beat runs every 2 s.
"""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from notifications.delivery import claims, sweep
from notifications.delivery.journal import ClaimLost
from notifications.delivery.worker import send_delivery
from notifications.dispatch import dispatch_triggers
from notifications.models import Delivery, DeliveryStatus
from tests.engine_helpers import poll
from tests.services import RedisServer
from tests.unit.delivery.factories import at, binding, engine_run, hipchat_endpoint

pytestmark = pytest.mark.django_db

DEAD = "gone-host:4242:dead"


@pytest.fixture
def short_heartbeat(settings):
    """Heartbeats that expire after 2 s, and a Redis that has run long enough to tell."""
    settings.NOTIFY_HEARTBEAT_TTL = 2
    poll(claims.heartbeats_settled, timeout=10, what="Redis up for two heartbeats")
    return settings


def claimed(fake, entity: str, worker: str, *, ago_s: float) -> Delivery:
    """A delivery claimed by ``worker`` ``ago_s`` seconds ago, as process_order_key claims."""
    if not fake._tokens:
        hipchat_endpoint(fake)
        binding()
    dispatch_triggers(engine_run().series(55, at(0), entity=entity))
    row = Delivery.objects.get(entity=entity)
    Delivery.objects.filter(pk=row.pk).update(
        status=DeliveryStatus.SENDING,
        attempts=1,
        claimed_by=worker,
        claimed_at=timezone.now() - timedelta(seconds=ago_s),
    )
    row.refresh_from_db()
    return row


def test_the_sweep_takes_back_the_claims_of_dead_workers_only(hipchat_fake, short_heartbeat):
    dead = claimed(hipchat_fake, "br-1", DEAD, ago_s=10)
    living = claimed(hipchat_fake, "br-2", claims.worker_id(), ago_s=10)

    with claims.working_on(living.pk):
        claims.heartbeat().beat()  # what its thread does every second
        assert sweep() == [dead.order_key]

    dead.refresh_from_db()
    living.refresh_from_db()
    assert (dead.status, dead.claimed_by, dead.claimed_at) == ("PENDING", "", None)
    assert (living.status, living.claimed_by) == ("SENDING", claims.worker_id())


def test_a_claim_its_living_worker_dropped_is_taken_back(hipchat_fake, short_heartbeat):
    # E.g. the database went away between HipChat's answer and the record of it.
    dropped = claimed(hipchat_fake, "br-1", claims.worker_id(), ago_s=10)
    claims.heartbeat().beat()

    assert sweep() == [dropped.order_key]
    dropped.refresh_from_db()
    assert dropped.status == "PENDING"


def test_a_claim_younger_than_a_heartbeat_is_left_alone(hipchat_fake, short_heartbeat):
    row = claimed(hipchat_fake, "br-1", DEAD, ago_s=0)

    assert sweep() == []
    row.refresh_from_db()
    assert row.status == "SENDING"


def test_a_worker_whose_claim_was_taken_back_sends_nothing(hipchat_fake):
    row = claimed(hipchat_fake, "br-1", "another-worker", ago_s=0)

    with pytest.raises(ClaimLost):
        send_delivery(row, claims.worker_id())

    assert hipchat_fake.log == []
    row.refresh_from_db()
    assert (row.status, row.claimed_by) == ("SENDING", "another-worker")


def test_a_redis_that_just_started_proves_no_worker_dead(settings):
    server = RedisServer(Path(tempfile.mkdtemp(prefix="atsd-redis-young-"))).start()
    try:
        settings.REDIS_URL = server.url
        assert claims.heartbeats_settled() is False
        assert claims.working([DEAD]) == {}
    finally:
        server.stop()
