"""Back-off, order keys, fired bindings and the sends-per-minute counter."""

import random

import pytest

from notifications.delivery import monitoring, policy
from notifications.delivery.intake import fired_bindings
from tests.unit.rendering.fixtures import trigger


@pytest.mark.parametrize(
    ("attempt", "low", "high"), [(1, 0.5, 1), (2, 1, 2), (4, 4, 8), (20, 30, 60), (10_000, 30, 60)]
)
def test_backoff_doubles_from_one_second_with_jitter_and_a_one_minute_cap(attempt, low, high):
    rng = random.Random(7)
    for _ in range(50):
        assert low <= policy.backoff_s(attempt, rng=rng) <= high


def test_the_backoff_cap_is_a_setting(settings):
    settings.NOTIFY_BACKOFF_CAP = 4
    assert all(2 <= policy.backoff_s(9) <= 4 for _ in range(50))


def test_attempts_are_not_capped_unless_a_cap_is_set(settings):
    settings.NOTIFY_MAX_ATTEMPTS = 0
    assert policy.max_attempts() is None
    settings.NOTIFY_MAX_ATTEMPTS = 3
    assert policy.max_attempts() == 3


def test_a_rate_limit_reset_later_than_the_backoff_wins():
    assert policy.retry_delay_s(1, 30.0) == 30.0
    assert 0.5 <= policy.retry_delay_s(1, None) <= 1


def test_the_order_key_is_per_rule_window_and_endpoint():
    key = policy.order_key("r", "br-1905", "hc")
    assert key == policy.order_key("r", "br-1905", "hc")
    assert len(key) == 32
    assert key != policy.order_key("r", "br-1905", "hc2")
    assert key != policy.order_key("r", "br-1906", "hc")


def test_sequence_follows_trigger_order_then_binding_index():
    assert policy.sequence(7, 0) < policy.sequence(7, 1) < policy.sequence(8, 0)


def test_only_fired_web_actions_are_sent():
    actions = [
        {"action": "alert-history", "decision": "fire"},
        {"action": "web:a", "decision": "fire"},
        {"action": "web:b", "decision": "suppress"},
        {"action": "web:c", "decision": "schedule", "countdown_ms": 60000},
    ]
    assert fired_bindings(trigger("walkthrough_open", {"actions": actions})) == ["a"]
    # e.g. CANCEL with reason rule_dropped
    assert fired_bindings(trigger("walkthrough_cancel", {"actions": []})) == []


def test_sends_are_counted_per_minute(broker):
    now = 1_700_000_000.0
    monitoring.count_send(now=now)
    monitoring.count_send(2, now=now + 1)
    assert monitoring.sends_in_minute(int(now // 60)) == 3
    assert monitoring.previous_minute_sends(now=now + 60) == 3
