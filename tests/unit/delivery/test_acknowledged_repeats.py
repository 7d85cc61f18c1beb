"""An acknowledged alert's REPEAT messages are not sent (ACK_SILENCES_REPEATS); its
CANCEL and the next episode's OPEN are."""

from __future__ import annotations

import pytest

from rules.models import Alert
from tests.unit.delivery.factories import at, binding, deliver, engine_run, hipchat_endpoint, texts

pytestmark = pytest.mark.django_db


def _statuses(fake) -> list[str]:
    return [text.split("]")[0].lstrip("[") for text in texts(fake)]


def test_repeats_of_an_acknowledged_alert_are_not_sent(hipchat_fake):
    hipchat_endpoint(hipchat_fake)
    binding()
    run = engine_run()
    deliver(run.series(55, at(0)))
    Alert.objects.update(acknowledged=True)
    [repeat] = deliver(run.series(60, at(1)))
    assert (repeat.status, repeat.last_error) == (
        "CANCELLED",
        "alert acknowledged: repeat not sent",
    )
    deliver(run.series(20, at(2)))  # CANCEL
    deliver(run.series(99, at(3)))  # a new episode opens unacknowledged
    deliver(run.series(99, at(4)))
    assert _statuses(hipchat_fake) == ["OPEN", "CANCEL", "OPEN", "REPEAT"]


def test_with_the_setting_off_acknowledging_only_sets_the_flag(hipchat_fake, settings):
    settings.ACK_SILENCES_REPEATS = False
    hipchat_endpoint(hipchat_fake)
    binding()
    run = engine_run()
    deliver(run.series(55, at(0)))
    Alert.objects.update(acknowledged=True)
    deliver(run.series(60, at(1)))
    assert _statuses(hipchat_fake) == ["OPEN", "REPEAT"]
