"""Record: an outcome → the claimed delivery row, written only while the claim is ours."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.delivery.outcome import RETRY, SendOutcome
from notifications.delivery.record import record_outcome
from notifications.models import Delivery
from tests.unit.delivery.factories import at, binding, dispatched, engine_run, hipchat_endpoint

pytestmark = pytest.mark.django_db

WORKER = "test-worker"


@pytest.fixture
def claimed(hipchat_fake) -> Delivery:
    hipchat_endpoint(hipchat_fake)
    binding()
    row = dispatched(engine_run().series(55, at(0)))
    Delivery.objects.filter(pk=row.pk).update(
        status="SENDING", claimed_by=WORKER, claimed_at=timezone.now(), attempts=1
    )
    row.refresh_from_db()
    return row


def test_a_final_outcome_finishes_the_row_and_frees_the_claim(claimed):
    now = timezone.now()

    assert (
        record_outcome(claimed, SendOutcome("DELIVERED", preview="[OPEN] x"), now, WORKER) is None
    )

    claimed.refresh_from_db()
    assert (claimed.status, claimed.finished, claimed.claimed_by) == ("DELIVERED", now, "")
    assert claimed.message_preview == "[OPEN] x"


def test_a_retry_waits_for_the_later_of_back_off_and_the_servers_reset(claimed):
    now = timezone.now()

    delay = record_outcome(claimed, SendOutcome(RETRY, "503", retry_after_s=42.0), now, WORKER)

    claimed.refresh_from_db()
    assert delay == pytest.approx(42.0)
    assert (claimed.status, claimed.claimed_by, claimed.last_error) == ("PENDING", "", "503")
    assert claimed.next_attempt_at == now + timedelta(seconds=42)


def test_a_retry_at_the_deadline_is_given_up(claimed):
    now = claimed.deadline - timedelta(seconds=1)

    assert record_outcome(claimed, SendOutcome(RETRY, "HTTP 503"), now, WORKER) is None

    claimed.refresh_from_db()
    assert claimed.status == "FAILED"
    assert claimed.last_error == "given up at its deadline after 1 attempt: HTTP 503"


def test_a_worker_whose_claim_was_taken_back_writes_nothing(claimed):
    record_outcome(claimed, SendOutcome("DELIVERED"), timezone.now(), "another-worker")

    claimed.refresh_from_db()
    assert (claimed.status, claimed.claimed_by) == ("SENDING", WORKER)
