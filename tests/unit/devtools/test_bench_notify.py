"""The notification bench sends to every kind that sends; speed itself is never asserted."""

import pytest

from devtools.bench.notify import TARGETS
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
