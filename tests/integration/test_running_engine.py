"""The engine on Celery: real worker, real Redis, real database, commands over TCP."""

import re
from pathlib import Path

import pytest

from rules.engine.grouping import Grouping
from rules.events import Event
from rules.ingest.tasks import emit_timer
from rules.models import Alert, AlertHistory, Rule, RuleErrorRecord
from rules.partition.tasks import tick_partition
from rules.routing.table import RouteTable
from rules.rulesxml import import_rules
from tests.engine_helpers import make_rule, poll, tcp_sender, window_sizes

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rulesxml"


@pytest.fixture
def tcp(engine_worker):
    with tcp_sender() as send:
        yield send


def alert_of(rule: str):
    return Alert.objects.filter(rule=rule).first()


def test_walkthrough_rule_opens_repeats_and_cancels(tcp):
    report = import_rules((FIXTURES / "walkthrough_rules.xml").read_bytes(), auto_enable=True)
    assert report.saved
    assert report.created == ["atsd.jvm.low_memory"]
    rule = Rule.objects.get(name="atsd.jvm.low_memory")
    rule.window = "time(2 second)"  # the high samples must leave the window in the test
    rule.save()

    tcp("series e:atsd m:jvm_memory_used_percent=22.7 t:host=AXIBASE")
    alert = poll(lambda: alert_of("atsd.jvm.low_memory"), what="OPEN alert")
    assert (alert.entity, alert.metric, alert.repeat_count) == (
        "atsd",
        "jvm_memory_used_percent",
        0,
    )
    assert alert.open_value == 22.7
    assert alert.text_value == "22.7"
    assert alert.tags == {"host": "AXIBASE"}
    assert alert.severity == "WARNING"

    tcp("series e:atsd m:jvm_memory_used_percent=30 t:host=AXIBASE")
    poll(lambda: alert_of("atsd.jvm.low_memory").repeat_count == 1, what="REPEAT")

    tcp("series e:other m:jvm_memory_used_percent=99")  # entity filter: atsd only

    def cancelled():
        tcp("series e:atsd m:jvm_memory_used_percent=5 t:host=AXIBASE")
        return not Alert.objects.filter(rule="atsd.jvm.low_memory").exists()

    poll(cancelled, timeout=15, what="CANCEL once the high samples left the window")
    history = list(AlertHistory.objects.filter(rule="atsd.jvm.low_memory").order_by("id"))
    assert [h.type for h in history] == ["OPEN", "CANCEL"]  # REPEAT logging is off
    # The rule's Logging text (ATSD's default template), rendered for the trigger.
    received, *fields = history[0].alert.split("\t")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", received)
    assert fields == [
        "OPEN", "warning", "atsd.jvm.low_memory", "jvm_memory_used_percent", "atsd",
        "{host=AXIBASE}", "22.7",
    ]  # fmt: skip
    assert history[1].severity == "UNDEFINED"
    assert history[1].alert_duration > 0
    assert not Alert.objects.filter(entity="other").exists()


def test_spec_worked_example_r1_through_the_engine(tcp):
    make_rule("temperature-too-high", "temperature", "avg() > 50", "length(3)")
    tcp("series e:br-1905 m:temperature=55")
    poll(lambda: alert_of("temperature-too-high"), what="OPEN")
    tcp("series e:br-1905 m:temperature=60")
    poll(lambda: alert_of("temperature-too-high").repeat_count == 1, what="REPEAT")
    tcp("series e:br-1905 m:temperature=20")
    poll(lambda: not alert_of("temperature-too-high"), what="CANCEL")
    history = AlertHistory.objects.filter(rule="temperature-too-high").order_by("id")
    cancel = history.last()
    assert cancel.alert == "Cancel alert for br-1905, temperature, {}"


def test_saving_a_changed_condition_closes_alerts_without_cancel(tcp):
    rule = make_rule("r15", "temperature", "avg() > 50", "length(3)")
    tcp("series e:br-1905 m:temperature=55")
    poll(lambda: alert_of("r15"), what="OPEN")
    rule.expression = "avg() > 40"
    rule.save()
    poll(lambda: not alert_of("r15"), timeout=5, what="alert closed by the rule change")
    assert not AlertHistory.objects.filter(rule="r15", type="CANCEL").exists()
    tcp("series e:br-1905 m:temperature=55")
    alert = poll(lambda: alert_of("r15"), what="a new OPEN")
    assert alert.repeat_count == 0


def test_disabling_a_rule_drops_its_windows(tcp):
    rule = make_rule("off", "temperature", "value > 50", "length(3)")
    tcp("series e:a m:temperature=55")
    poll(lambda: alert_of("off"), what="OPEN")
    rule.enabled = False
    rule.save()
    poll(lambda: not alert_of("off"), timeout=5, what="alert closed by disabling")
    assert window_sizes("off") == {}


def test_check_on_exit_cancels_on_ticks(tcp):
    make_rule("r25", "cpu", "avg() > 80", "time(1 second)", leaving_events=True)
    tcp("series e:a m:cpu=90")
    poll(lambda: alert_of("r25"), what="OPEN")

    def expired():
        tick_partition.apply_async(args=[0], queue="engine.0")
        tick_partition.apply_async(args=[1], queue="engine.1")
        return not alert_of("r25")

    poll(expired, timeout=10, what="CANCEL on expiry without new data")


def test_a_failing_condition_is_a_rule_error_and_changes_nothing(tcp):
    make_rule("broken", "cpu", "value('memory') > 1", "length(3)")
    tcp("series e:a m:cpu=90")
    error = poll(lambda: RuleErrorRecord.objects.filter(rule="broken").first(), what="error")
    assert "memory" in error.error
    assert "series-cpu-a" in error.window_key
    assert not alert_of("broken")


def test_value_of_another_metric_on_the_same_line(tcp):
    make_rule("r22", "pressure", "value > 1.5 && value('temperature') > 50", "length(1)")
    tcp("series e:sensor01 m:pressure=3.5 m:temperature=80")
    poll(lambda: alert_of("r22"), what="OPEN")
    tcp("series e:sensor01 m:pressure=3.5 m:temperature=33")
    poll(lambda: not alert_of("r22"), what="CANCEL")


def test_timers_feed_scheduled_rules(engine_worker):
    make_rule("every-15s", "timer_15s", "true", "length(1)")
    emit_timer.apply(args=["timer_15s"])
    alert = poll(lambda: alert_of("every-15s"), what="timer event opened the rule")
    assert alert.entity == "atsd"


def test_the_rules_list_counts_open_alerts(tcp, admin_client):
    make_rule("counted", "temperature", "value > 50", "length(1)")
    tcp("series e:a m:temperature=55", "series e:b m:temperature=56")
    poll(lambda: Alert.objects.filter(rule="counted").count() == 2, what="two alerts")
    page = admin_client.get("/rules/?name=counted").content.decode()
    assert '/alerts/open/?rule=counted">2</a>' in page


def test_rule_windows_are_published_from_the_engine_state(tcp, monkeypatch):
    from rules.alerts.published_windows import read_windows
    from rules.partition import journal as partition

    monkeypatch.setattr(partition, "SUMMARIES_EVERY_S", 0.0)
    make_rule("seen", "temperature", "value > 50", "length(3)")
    tcp("series e:a m:temperature=55 t:room=1")
    (window,) = poll(lambda: read_windows(rule="seen"), what="published window")
    assert window["status"] == "OPEN"
    assert window["window"] == "length(3)"
    assert window["entity"] == "a"
    assert window["tags"] == {"room": "1"}
    assert window["size"] == 1
    assert window["statistics"]["avg"] == 55.0
    assert read_windows(rule="seen", statuses=["CANCEL"]) == []


def test_self_monitoring_metrics_flow_through_the_engine(tcp):
    from rules.ingest.tasks import emit_self_metrics

    make_rule("watch-alerts", "atsd_alerts_open_alerts", "value >= 0", "length(1)")
    emit_self_metrics.apply()
    alert = poll(lambda: alert_of("watch-alerts"), what="self-monitoring sample")
    assert alert.entity == "atsd"
    assert alert.value == 0.0


def _entities_of_one_partition(rule: str, metric: str, count: int, partitions: int) -> list[str]:
    """``count`` entity names whose windows of ``rule`` all live in partition 0."""
    table = RouteTable(partitions)

    def partition(name: str) -> int:
        event = Event("series", name, metric, {}, 0, 0, 1.0)
        return table.partition_of(rule, Grouping(), event, metric)

    return [name for name in (f"host{i}" for i in range(10_000)) if partition(name) == 0][:count]


def test_high_cardinality_series_cannot_exhaust_engine_memory(tcp, settings):
    # Before: every new key opened a window, without bound. Now a rule holds at most
    # RULE_MAX_WINDOWS per partition, and reaching it is one Rule Error, not one per line.
    settings.RULE_MAX_WINDOWS = 2
    make_rule("cardinality", "cpu", "value > 50", "length(1)")
    names = _entities_of_one_partition("cardinality", "cpu", 6, settings.ENGINE_PARTITIONS)
    first, second, *others = names
    tcp(*(f"series e:{name} m:cpu=90" for name in names))
    poll(lambda: RuleErrorRecord.objects.filter(rule="cardinality").exists(), what="rule error")
    tcp(*(f"series e:{name} m:cpu=95" for name in others), f"series e:{first} m:cpu=10")
    poll(lambda: Alert.objects.filter(rule="cardinality").count() == 1, what="first CANCEL")
    assert list(Alert.objects.filter(rule="cardinality").values_list("entity", flat=True)) == [
        second
    ]
    assert window_sizes("cardinality") == {
        f"series-cpu-{first}": 1,
        f"series-cpu-{second}": 1,
    }
    [error] = RuleErrorRecord.objects.filter(rule="cardinality")
    assert "holds 2 windows, the limit (RULE_MAX_WINDOWS)" in error.error
