"""Retries keep their promise: until the deadline, not until an attempt count runs out.

Against the fake HipChat server scripted to fail; ``retry`` plays the clock by
making the waiting row due before processing its key again.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from devtools.fakes.hipchat import Reply
from notifications.delivery import policy, process_order_key
from notifications.models import Delivery, DeliveryAttempt
from tests.unit.delivery.factories import (
    at,
    binding,
    deliver,
    due_now,
    engine_run,
    hipchat_endpoint,
    texts,
)

pytestmark = pytest.mark.django_db


def failing_open(fake, failures: int, *, tries: int = 1) -> Delivery:
    """The OPEN of a room that answers 503 ``failures`` times, after ``tries`` attempts."""
    hipchat_endpoint(fake)
    binding()
    fake.script(Reply(status=503), times=failures)
    [row] = deliver(engine_run().series(55, at(0)))
    retry(row, tries - 1)
    return row


def retry(row: Delivery, times: int) -> None:
    """Let ``row``'s retry time pass and process its key, ``times`` times."""
    for _ in range(times):
        due_now()
        process_order_key(row.order_key)
    row.refresh_from_db()


def test_it_keeps_retrying_past_ten_failures_and_delivers_once(hipchat_fake):
    row = failing_open(hipchat_fake, 25, tries=26)

    assert (row.status, row.attempts) == ("DELIVERED", 26)
    assert len(texts(hipchat_fake)) == 1
    assert DeliveryAttempt.objects.filter(status="RETRY").count() == 25


def test_the_wait_between_attempts_never_exceeds_the_cap(hipchat_fake):
    row = failing_open(hipchat_fake, 12, tries=12)

    wait = (row.next_attempt_at - timezone.now()).total_seconds()
    assert row.status == "PENDING"
    assert 25 <= wait <= 60


def test_the_last_retry_comes_just_before_the_deadline(hipchat_fake):
    row = failing_open(hipchat_fake, 12)
    deadline = timezone.now() + timedelta(seconds=20)
    Delivery.objects.update(deadline=deadline)
    retry(row, 7)  # back-off past 20 s

    assert row.status == "PENDING"
    assert row.next_attempt_at == deadline - policy.LAST_CALL


def test_it_gives_up_at_the_deadline_and_says_so(hipchat_fake):
    row = failing_open(hipchat_fake, 3)
    Delivery.objects.update(deadline=timezone.now() + timedelta(seconds=3))
    retry(row, 1)

    assert (row.status, row.attempts) == ("FAILED", 2)
    assert row.last_error.startswith("given up at its deadline after 2 attempts: HipChat error")
    assert [a.status for a in DeliveryAttempt.objects.order_by("id")] == ["RETRY", "ERROR"]


def test_a_rate_limit_reset_past_the_deadline_still_gets_a_last_try(hipchat_fake):
    hipchat_endpoint(hipchat_fake)
    binding()
    hipchat_fake.script(Reply.rate_limited(reset_in_s=600), times=2)
    [row] = deliver(engine_run().series(55, at(0)))
    Delivery.objects.update(deadline=timezone.now() + timedelta(seconds=60))
    retry(row, 1)

    assert row.status == "PENDING"
    assert row.next_attempt_at == row.deadline - policy.LAST_CALL
