"""Send: a rendered message → the endpoint's requests in order, each logged, none that
already arrived sent again, and the outcome the record stage stores."""

from __future__ import annotations

import dataclasses
from typing import Self

import pytest
from django.utils import timezone

from devtools.fakes.hipchat import Reply
from notifications.channels.base import Sent
from notifications.channels.hipchat.transport import HipChatTransport
from notifications.delivery.journal import Journal
from notifications.delivery.lookup import Job, lookup
from notifications.delivery.outcome import RETRY
from notifications.delivery.render import Message, render
from notifications.delivery.send import plan, send
from notifications.models import Delivery, DeliveryAttempt
from tests.unit.delivery.factories import at, binding, dispatched, engine_run, hipchat_endpoint

pytestmark = pytest.mark.django_db

WORKER = "test-worker"


def rendered(ids: list[str], *, attempts: int = 1) -> tuple[Job, Message, Journal]:
    """The job and message of one delivery, claimed by ``WORKER`` for attempt ``attempts``."""
    row = dispatched(ids)
    Delivery.objects.filter(pk=row.pk).update(
        status="SENDING", claimed_by=WORKER, claimed_at=timezone.now(), attempts=attempts
    )
    row.refresh_from_db()
    job = lookup(row)
    assert isinstance(job, Job)
    journal = Journal(row, job.endpoint.kind, WORKER)
    message = render(job, journal)
    assert isinstance(message, Message)
    return job, message, journal


class TwoRooms(HipChatTransport):
    """A HipChat endpoint that names two rooms: how a channel with several targets
    (Slack channels, e-mail recipients) looks to the send stage."""

    def targets(self) -> tuple[str, ...]:
        return ("2", "3")

    def room(self, target: str) -> HipChatTransport:
        return HipChatTransport(dataclasses.replace(self.config, room=target), client=self.client)

    def send_text(self, text: str, *, severity: str = "UNDEFINED", target: str = "") -> Sent:
        return self.room(target).send_text(text, severity=severity)

    @classmethod
    def of(cls, transport: HipChatTransport) -> Self:
        return cls(transport.config, client=transport.client)


def test_the_requests_go_out_in_order_with_their_log_names(hipchat_fake):
    hipchat_endpoint(hipchat_fake)
    binding(open_details=True, open_screenshot=True)
    job, message, journal = rendered(engine_run().series(55, at(0)))
    message.portal_links = True

    requests = plan(job, message, job.endpoint.transport(message.parameters), journal)

    assert [r.name for r in requests] == ["notification", "file", "image-1", "links-1"]
    assert hipchat_fake.log == []  # planning sends nothing, captures nothing


def test_an_endpoint_with_two_targets_sends_each_request_once_per_target(hipchat_fake):
    hipchat_endpoint(hipchat_fake)
    hipchat_fake.add_room("Other Room", room_id=3)
    binding()
    job, message, journal = rendered(engine_run().series(55, at(0)))
    transport = TwoRooms.of(job.endpoint.transport(message.parameters))

    requests = plan(job, message, transport, journal)
    for request in requests:
        request.send()

    assert [r.name for r in requests] == ["notification.1", "notification.2"]
    assert [len(hipchat_fake.room_messages(room)) for room in (2, 3)] == [1, 1]


def test_a_request_answered_in_an_earlier_attempt_is_not_sent_again(hipchat_fake):
    hipchat_endpoint(hipchat_fake)
    binding(open_details=True)
    job, message, journal = rendered(engine_run().series(55, at(0)), attempts=2)
    DeliveryAttempt.objects.create(
        delivery=job.delivery, time=timezone.now(), attempt=1, request="notification",
        endpoint_kind="hipchat", response_code=204, status="OK",
    )  # fmt: skip

    outcome = send(job, message, journal)

    assert outcome.status == "DELIVERED"
    assert [r.endpoint for r in hipchat_fake.room_messages(2)] == ["share/file"]
    assert [(a.request, a.status) for a in DeliveryAttempt.objects.order_by("id")] == [
        ("notification", "OK"),
        ("file", "OK"),
    ]


def test_a_spent_room_budget_holds_the_send_without_an_attempt(hipchat_fake):
    hipchat_endpoint(hipchat_fake)
    binding(open_details=True)
    hipchat_fake.flood_limit = 1
    job, message, journal = rendered(engine_run().series(55, at(0)))

    outcome = send(job, message, journal)

    assert outcome.status == RETRY
    assert outcome.failure is False  # the room pacing us is nobody's failure
    assert outcome.failed_attempt is None
    assert 0 < (outcome.retry_after_s or 0) <= 61
    assert [r.status for r in hipchat_fake.log] == [204]  # the file never left
    assert [(a.request, a.status) for a in DeliveryAttempt.objects.all()] == [
        ("notification", "OK")
    ]


def test_a_rate_limit_is_a_retry_after_the_servers_reset(hipchat_fake):
    hipchat_endpoint(hipchat_fake)
    binding()
    hipchat_fake.script(Reply.rate_limited(reset_in_s=30))
    job, message, journal = rendered(engine_run().series(55, at(0)))

    outcome = send(job, message, journal)

    assert outcome.status == RETRY
    assert outcome.retry_after_s is not None
    assert 25 <= outcome.retry_after_s <= 31
    assert outcome.failed_attempt is not None
    assert (outcome.failed_attempt.status, outcome.failed_attempt.response_code) == ("RETRY", 429)
    assert outcome.preview == message.preview
