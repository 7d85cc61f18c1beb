"""The notification bench sends to every kind that sends; speed itself is never asserted."""

import pytest

from devtools.bench.notify import TARGETS, Options, hipchat_target
from notifications.channels.registry import KINDS
from notifications.models import Endpoint, MailClient


def test_the_bench_has_a_target_for_every_sendable_kind_and_email():
    sendable = {k.kind.lower() for k in KINDS.values() if k.sendable}
    assert set(TARGETS) == sendable | {"email"}


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_each_target_sends_through_the_kind_it_is_named_after(name, db):
    target = TARGETS[name]()
    try:
        assert target.kind.lower() == name
        if name == "email":
            assert MailClient.load().enabled
        else:
            assert Endpoint.objects.get(name="bench").kind == target.kind
        assert target.received() == 0
        action = target.bind("[${status}] ${rule}")
        assert action.name == ("email:bench" if name == "email" else "web:b")
    finally:
        target.fake.stop()


def test_the_hipchat_target_spreads_over_rooms_under_the_limits_it_prints(db):
    target = hipchat_target(Options(rooms=3, limits="documented", minute_s=2))
    try:
        fake = target.fake
        assert (fake.token_limit, fake.token_period_s) == (500, 10)
        assert (fake.flood_limit, fake.flood_period_s) == (30, 2)
        assert target.rooms == ("bench-0", "bench-1", "bench-2")
        assert Endpoint.objects.get(name="bench").parameter("room") == "${tags.room}"
        assert "limits: token 500 per 10 s, room 30 per 2 s" in target.notes[0]
    finally:
        target.fake.stop()


def test_raised_limits_say_what_the_documented_ones_would_allow(db):
    target = hipchat_target(Options(rooms=200))
    try:
        assert target.fake.flood_limit > 30
        assert "at most 100 notifications/s over 200 rooms" in target.notes[0]
    finally:
        target.fake.stop()
