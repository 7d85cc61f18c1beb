"""instantAction (spec §2.2, §3.6): the notifications of such a rule are queued where
the notify worker takes them first, ahead of every other queued send."""

from __future__ import annotations

import json

import pytest

from atsd_alerts.redis import client
from notifications import tasks
from notifications.delivery import create_deliveries
from notifications.models import Delivery
from rules.models.rule import Rule
from rules.partition.definitions import definition_of
from tests.unit.delivery.factories import RULE, at, binding, engine_run

pytestmark = pytest.mark.django_db


def test_instant_rule_marks_its_order_keys():
    binding()
    normal = engine_run()
    instant = engine_run(rule="hot", instant_action=True)
    binding(rule="hot")
    keys = create_deliveries(normal.series(55, at(0)) + instant.series(55, at(0)))
    urgent = {row.rule_name: keys[row.order_key] for row in Delivery.objects.all()}
    assert urgent == {RULE: False, "hot": True}


def test_instant_sends_are_queued_ahead_of_the_others(monkeypatch):
    queue = "notify-instant-test"  # no worker consumes it: the lists stay as written
    monkeypatch.setattr(tasks, "NOTIFY_QUEUE", queue)
    redis = client()
    normal_list = f"{queue}\x06\x16{tasks.NORMAL_PRIORITY}"
    redis.delete(queue, normal_list)
    try:
        tasks.enqueue("later", instant=False)
        tasks.enqueue("first", instant=True)
        # The Redis transport pops the plain list before the priority-6 one (BRPOP order).
        [first] = [json.loads(m)["headers"]["argsrepr"] for m in redis.lrange(queue, 0, -1)]
        [later] = [json.loads(m)["headers"]["argsrepr"] for m in redis.lrange(normal_list, 0, -1)]
        assert (first, later) == ("('first',)", "('later',)")
    finally:
        redis.delete(queue, normal_list)


def test_rule_definition_carries_instant_action():
    rule = Rule(name="r", metric="m", window="length(1)", expression="value > 1")
    rule.instant_action = True
    assert definition_of(rule).instant_action
