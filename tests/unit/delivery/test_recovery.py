"""A request whose answer was lost is looked for in the room before it is sent again.

Each test starts from the state a notify worker leaves when it dies after its
request left: the delivery taken back by the sweep (PENDING, attempted once) and
the request's log row still SENDING with the digest of what it posts — and, when
the request had reached HipChat, the message in the fake's room. The real kill
of a worker process is in tests/integration/test_delivery.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from devtools.fakes.hipchat import Reply
from notifications.channels.base import Footprint
from notifications.delivery import process_order_key
from notifications.dispatch import dispatch_triggers
from notifications.models import Delivery, DeliveryAttempt, Endpoint, RuleNotification
from tests.unit.delivery.factories import (
    RULE,
    L,
    at,
    binding,
    engine_run,
    hipchat_endpoint,
    texts,
)

pytestmark = pytest.mark.django_db

OPEN = f"[OPEN] {RULE} for br-1905 {{}}. {L}"
READER = ("send_notification", "send_message", "view_messages")


@pytest.fixture
def reader(hipchat_fake):
    """The endpoint's token may read the room's history (scope view_messages)."""
    hipchat_endpoint(hipchat_fake, scopes=READER)
    binding()
    return hipchat_fake


def left_unanswered(fake, *, arrived: bool, ago_s: float, text: str = OPEN, entity="br-1905"):
    """The delivery of one OPEN whose worker died after its request left ``ago_s`` ago."""
    if not Endpoint.objects.exists():
        hipchat_endpoint(fake)
        binding()
    dispatch_triggers(engine_run().series(55, at(0), entity=entity))
    row = Delivery.objects.get(entity=entity)
    if arrived:
        row_endpoint(row).transport().send_text(text, severity="WARNING")
    footprint = Footprint("2", "notification", text)
    Delivery.objects.filter(pk=row.pk).update(attempts=1)
    DeliveryAttempt.objects.create(
        delivery=row,
        time=timezone.now() - timedelta(seconds=ago_s),
        attempt=1,
        request="notification",
        endpoint_kind="hipchat",
        status="SENDING",
        fingerprint=footprint.digest(),
    )
    row.refresh_from_db()
    return row


def row_endpoint(row: Delivery) -> Endpoint:
    return Endpoint.objects.get(name=row.endpoint_name)


def log_of(row: Delivery) -> list[tuple[str, str]]:
    rows = DeliveryAttempt.objects.filter(delivery=row).order_by("id")
    return [(a.status, a.error) for a in rows]


def test_a_request_that_reached_the_room_is_not_sent_again(reader):
    row = left_unanswered(reader, arrived=True, ago_s=2)

    process_order_key(row.order_key)

    assert texts(reader) == [OPEN]
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("DELIVERED", 2)
    [attempt] = DeliveryAttempt.objects.filter(delivery=row)
    assert attempt.status == "OK"
    assert "found in the room's history" in attempt.error
    assert attempt.message_id == reader.room_messages(2)[0].message_id
    assert reader.log[-1].path.endswith("/history/latest")


def test_a_request_that_never_arrived_is_sent_once_its_answer_window_passed(reader):
    row = left_unanswered(reader, arrived=False, ago_s=60)

    process_order_key(row.order_key)

    assert texts(reader) == [OPEN]
    row.refresh_from_db()
    assert row.status == "DELIVERED"
    (lost, lost_error), (sent, _) = log_of(row)
    assert lost == "RETRY"
    assert "not in the room's history: sent again" in lost_error
    assert sent == "OK"


def test_a_request_that_may_still_land_is_waited_for_not_sent_again(reader):
    row = left_unanswered(reader, arrived=False, ago_s=0)

    process_order_key(row.order_key)

    assert texts(reader) == []
    row.refresh_from_db()
    wait = (row.next_attempt_at - DeliveryAttempt.objects.get(delivery=row).time).total_seconds()
    assert row.status == "PENDING"
    assert 29 <= wait <= 31
    # The slow server acts on it after all; the next look finds it.
    row_endpoint(row).transport().send_text(OPEN, severity="WARNING")
    Delivery.objects.update(next_attempt_at=None)
    process_order_key(row.order_key)
    assert texts(reader) == [OPEN]
    assert DeliveryAttempt.objects.get(delivery=row).status == "OK"


def test_when_the_room_cannot_be_asked_it_is_sent_again_and_marked_unknown(hipchat_fake):
    row = left_unanswered(hipchat_fake, arrived=True, ago_s=2)  # token without view_messages

    process_order_key(row.order_key)

    assert texts(hipchat_fake) == [OPEN, OPEN]  # at least once: a lost alert is worse
    (unknown, error), (sent, _) = log_of(row)
    assert unknown == "UNKNOWN"
    assert sent == "OK"
    assert "cannot be checked" in error
    assert "view_messages" in error
    assert "show twice" in error


def test_an_identical_message_of_another_window_is_no_proof_of_arrival(reader):
    # The same text for every entity.
    RuleNotification.objects.update(open_params={"message": "[${status}] ${rule}"})
    first = f"[OPEN] {RULE}"
    dispatch_triggers(engine_run().series(55, at(0), entity="br-1"))
    process_order_key(Delivery.objects.get(entity="br-1").order_key)
    row = left_unanswered(reader, arrived=False, ago_s=60, text=first, entity="br-2")

    process_order_key(row.order_key)

    assert texts(reader) == [first, first]  # one for each window
    assert [status for status, _ in log_of(row)] == ["RETRY", "OK"]


def test_a_connection_broken_after_the_request_left_is_checked_before_resending(reader):
    reader.script(Reply.dropped())
    dispatch_triggers(engine_run().series(55, at(0)))
    row = Delivery.objects.get()
    process_order_key(row.order_key)
    [broken] = DeliveryAttempt.objects.all()
    assert broken.status == "SENDING"
    assert broken.response_code == 0
    row.refresh_from_db()
    assert row.status == "PENDING"

    # Past its answer window it is looked for, not found, and sent once more.
    DeliveryAttempt.objects.update(time=timezone.now() - timedelta(minutes=1))
    Delivery.objects.update(next_attempt_at=None)
    process_order_key(row.order_key)

    assert texts(reader) == [OPEN]
    assert [status for status, _ in log_of(row)] == ["RETRY", "OK"]
    requests = [r.path.rsplit("/", 1)[-1] for r in reader.log]
    assert requests == ["notification", "latest", "notification"]
