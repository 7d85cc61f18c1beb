"""An open alert whose window a restarted partition does not get back is closed, never
deleted silently: a CANCEL with its history row, its notification and a rule error when
Redis lost the state; a plain close when the rule changed while no worker ran."""

from __future__ import annotations

import time

import pytest
from django.conf import settings

from atsd_alerts.redis import client
from rules.events import SERIES, Event
from rules.models import Alert, AlertHistory, Rule, RuleErrorRecord, TriggerRecord
from rules.partition import inbox, worker
from rules.partition.versions import bump_version
from rules.routing.handoff import submit
from tests.engine_helpers import make_rule, poll, reset_engine, restart_workers
from tests.factories import bindings_xml
from tests.unit.delivery.factories import RULE, binding, hipchat_endpoint

pytestmark = pytest.mark.integration


def sample(entity: str, value: float) -> Event:
    now = int(time.time() * 1000)
    return Event(SERIES, entity, "temperature", {}, now, now, value,
                 line_values={"temperature": value})  # fmt: skip


def pump_all() -> None:
    """What the engine workers do on their next wake-up (a restarted one recovers first)."""
    for number in range(settings.ENGINE_PARTITIONS):
        worker.get_partition(number).pump()


def open_alert(entity: str = "br-1905") -> Alert:
    pump_all()  # partitions exist (and have checkpointed) before the sample arrives
    submit([sample(entity, 55)])
    pump_all()
    return Alert.objects.get(rule=RULE, entity=entity)


def messages(fake) -> list[str]:
    return [r.json["message"] for r in fake.room_messages(2) if r.endpoint == "notification"]


def test_an_alert_whose_window_redis_lost_is_cancelled_with_history_error_and_message(
    notify_worker, hipchat_fake
):
    hipchat_endpoint(hipchat_fake)
    row = binding()
    make_rule(RULE, "temperature", "value > 50", "length(3)",
              web_notifications_xml=bindings_xml([row], RULE))  # fmt: skip
    alert = open_alert()
    hipchat_fake.wait_for(lambda log: len(messages(hipchat_fake)) == 1, timeout=20)

    reset_engine()  # Redis forgot every engine key; the workers start again on it
    pump_all()

    assert not Alert.objects.exists()
    cancel = TriggerRecord.objects.get(status="CANCEL")
    assert (cancel.reason, cancel.window_key) == ("state_lost", alert.window_key)
    assert cancel.data["before_status"] == "OPEN"
    history = AlertHistory.objects.get(type="CANCEL")
    assert history.alert == (
        "Cancel alert for br-1905, temperature, {}: window state lost, closed without "
        "cancelling samples"
    )
    error = RuleErrorRecord.objects.get()
    assert (error.rule, error.window_key) == (RULE, alert.window_key)
    assert error.error == (
        "window state lost: the partition's snapshot and journal were missing from Redis; "
        "its open alert was closed with a CANCEL"
    )
    hipchat_fake.wait_for(lambda log: len(messages(hipchat_fake)) == 2, timeout=20)
    assert messages(hipchat_fake)[1].startswith(f"[CANCEL] {RULE} for br-1905 {{}}. Duration: ")

    reset_engine()  # a second restart finds nothing left to close
    pump_all()
    assert AlertHistory.objects.filter(type="CANCEL").count() == 1
    assert RuleErrorRecord.objects.count() == 1


def test_a_lost_inbox_batch_ends_the_replay_and_its_window_is_closed_as_lost(broker, db):
    make_rule(RULE, "temperature", "value > 50", "length(3)")
    alert = open_alert()
    for number in range(settings.ENGINE_PARTITIONS):
        client().delete(inbox.inbox_key(number))  # the journal names a batch Redis lost
    restart_workers()
    pump_all()

    assert not Alert.objects.exists()
    assert TriggerRecord.objects.get(status="CANCEL").reason == "state_lost"
    error = RuleErrorRecord.objects.get()
    assert error.window_key == alert.window_key
    assert "the partition's inbox lost journaled batch" in error.error
    submit([sample("br-1905", 56)])  # the partition carries on after the gap
    pump_all()
    assert Alert.objects.get().repeat_count == 0


def test_an_alert_of_a_rule_changed_while_stopped_is_closed_without_cancel_actions(broker, db):
    make_rule(RULE, "temperature", "value > 50", "length(3)")
    alert = open_alert()
    restart_workers()  # the workers stop; Redis keeps everything
    Rule.objects.filter(name=RULE).update(expression="value > 60")
    bump_version()
    pump_all()

    assert not Alert.objects.exists()
    cancel = TriggerRecord.objects.get(status="CANCEL")
    assert (cancel.reason, cancel.window_key) == ("rule_dropped", alert.window_key)
    assert cancel.data["actions"] == []
    assert not AlertHistory.objects.filter(type="CANCEL").exists()
    assert not RuleErrorRecord.objects.exists()


def test_windows_recovered_from_redis_keep_their_alerts(broker, db):
    make_rule(RULE, "temperature", "value > 50", "length(3)")
    open_alert()
    restart_workers()
    pump_all()
    poll(lambda: Alert.objects.filter(rule=RULE).exists(), 1, "the alert is still open")
    assert not TriggerRecord.objects.filter(status="CANCEL").exists()


def test_with_cancel_on_rule_change_the_closing_cancel_fires_its_actions(broker, db, settings):
    settings.CANCEL_ON_RULE_CHANGE = True
    make_rule(RULE, "temperature", "value > 50", "length(3)")
    open_alert()
    restart_workers()
    Rule.objects.filter(name=RULE).update(expression="value > 60")
    bump_version()
    pump_all()

    cancel = TriggerRecord.objects.get(status="CANCEL")
    assert cancel.reason == "rule_dropped"
    assert cancel.data["actions"] == [
        {"action": "alert-history", "decision": "fire", "countdown_ms": 0}
    ]
    assert AlertHistory.objects.get(type="CANCEL").alert == (
        "Cancel alert for br-1905, temperature, {}"
    )
