"""The alert store and flap damping: the flag on the open alert, and the "stable again"
trigger of an open window is not a new episode (its acknowledgement stays)."""

from __future__ import annotations

import pytest

from rules.engine.flapping import FlapSettings
from rules.models import Alert
from tests.unit.delivery.factories import at, engine_run

pytestmark = pytest.mark.django_db


def test_a_flapping_open_alert_is_flagged_and_stable_keeps_its_acknowledgement():
    run = engine_run(expression="value > 50", window="length(1)", flap=FlapSettings(1, 60_000))
    for minutes, value in ((0, 60), (0.1, 10), (0.2, 60), (0.3, 10), (0.4, 60)):
        run.series(value, at(minutes))
    alert = Alert.objects.get()
    assert alert.flapping  # the OPEN after the second cancel is held back
    Alert.objects.update(acknowledged=True)
    [stable] = run.engine.tick(at(0.4) + 60_000)
    run.store([stable])
    alert = Alert.objects.get()
    assert (alert.flapping, alert.acknowledged) == (False, True)
