"""The alert store: one trigger the database cannot hold never blocks the outbox, and a
stored trigger always has its notifications."""

import pytest

import notifications.dispatch
from notifications.models import Delivery
from rules.alerts.store import store_items
from rules.contract.triggers import encode_trigger
from rules.engine.definition import RuleDefinition
from rules.engine.engine import Engine
from rules.events import SERIES, Event
from rules.models import Alert, AlertHistory, RuleErrorRecord, TriggerRecord
from tests.db_refusals import refusing
from tests.unit.delivery.factories import binding, engine_run

pytestmark = pytest.mark.django_db(transaction=True)

T0 = 1_700_000_000_000


def triggers_for(*samples: tuple[str, dict[str, str]]) -> list[dict]:
    """Outbox items of the OPEN triggers a real engine makes for (entity, tags) samples."""
    engine = Engine(zone="UTC")
    engine.install(RuleDefinition("wide", "cpu", "value > 0", "length(1)"), T0)
    items = []
    for n, (entity, tags) in enumerate(samples):
        event = Event(SERIES, entity, "cpu", tags, T0 + n, T0 + n, 1.0, line_values={"cpu": 1.0})
        triggers = engine.process(event, T0 + n)
        items.extend({"id": f"0:test{n}:0", "trigger": encode_trigger(t)} for t in triggers)
    assert len(items) == len(samples)
    return items


def test_tag_values_that_make_a_window_key_too_long_do_not_block_the_outbox():
    wide = {"a": "x" * 800, "b": "y" * 800, "c": "z" * 800}  # each fits; together 2,4xx
    items = triggers_for(("before", {}), ("wide", wide), ("after", {}))
    stored = store_items(0, items)
    assert stored == ["0:test0:0", "0:test2:0"]
    assert sorted(Alert.objects.values_list("entity", flat=True)) == ["after", "before"]
    error = RuleErrorRecord.objects.get()
    assert error.rule == "wide"
    assert error.error.startswith("OPEN trigger not stored: its window key is 2")
    assert error.window_key == items[1]["trigger"]["window_key"][:2048]


def test_a_trigger_the_database_refuses_is_reported_and_the_rest_stored():
    items = triggers_for(("e1", {}), ("e2", {}), ("poison", {}), ("e4", {}), ("e5", {}))
    with refusing("rules_alert", "entity", "poison"):
        stored = store_items(0, items)
    assert len(stored) == 4
    assert sorted(Alert.objects.values_list("entity", flat=True)) == ["e1", "e2", "e4", "e5"]
    assert not TriggerRecord.objects.filter(event_id="0:test2:0").exists()
    error = RuleErrorRecord.objects.get()
    assert error.error.startswith("OPEN trigger not stored: the database refused it: ")
    assert "refused by a test" in error.error


def test_a_rule_error_with_an_over_long_window_key_is_stored_shortened():
    error = {
        "time_ms": T0, "rule": "r" * 600, "error": "boom", "expression": "x",
        "command": None, "window_key": "k" * 3000,
    }  # fmt: skip
    store_items(0, [{"error": error}])
    record = RuleErrorRecord.objects.get()
    assert (len(record.rule), len(record.window_key)) == (512, 2048)


class WorkerKilled(BaseException):
    """Stands for SIGKILL where it is raised: nothing after it runs, no handler sees it."""


def test_a_worker_killed_between_a_trigger_and_its_deliveries_loses_no_notification(
    monkeypatch,
):
    binding()
    run = engine_run(expression="value > 50", window="length(1)")
    event = Event(SERIES, "br-1905", "temperature", {}, T0, T0, 60.0,
                  line_values={"temperature": 60.0})  # fmt: skip
    [trigger] = run.engine.process(event, T0)
    items = [{"id": "0:killed:0", "trigger": encode_trigger(trigger)}]

    def killed(event_ids):
        raise WorkerKilled

    with monkeypatch.context() as patch:
        patch.setattr(notifications.dispatch, "create_deliveries", killed)
        with pytest.raises(WorkerKilled):
            store_items(0, items)
    # The restarted worker drains the outbox again: what it kept is stored again.
    store_items(0, items)

    assert TriggerRecord.objects.filter(event_id="0:killed:0").count() == 1
    assert Delivery.objects.filter(event_id="0:killed:0", trigger="OPEN").count() == 1


def stored_logging(actions: tuple, **logging: object) -> None:
    """Store the OPEN and CANCEL a real engine makes for db1's cpu 9 then 1, with the
    logging actions and settings (``alert_texts``, ``alert_logger``) given."""
    engine = Engine(zone="UTC")
    rule = RuleDefinition("hot", "cpu", "value > 5", "length(1)", actions=actions, **logging)
    engine.install(rule, T0)
    items = []
    for n, value in enumerate((9.0, 1.0)):
        event = Event(SERIES, "db1", "cpu", {}, T0 + n, T0 + n, value)
        items.extend(
            {"id": f"0:log{n}:0", "trigger": encode_trigger(t)} for t in engine.process(event, T0)
        )
    store_items(0, items)


def test_alert_history_stores_the_logging_text_or_else_the_default_text():
    from rules.contract.triggers import ALERT_HISTORY_ACTION
    from rules.engine.actions import ActionSettings
    from rules.models import AlertHistory

    texts = ("${entity} is at ${value}", "", "${1 / nosuch_fn()}")
    stored_logging((ActionSettings(ALERT_HISTORY_ACTION),), alert_texts=texts)
    rows = list(AlertHistory.objects.order_by("id").values_list("type", "alert"))
    assert rows == [("OPEN", "db1 is at 9"), ("CANCEL", "Cancel alert for db1, cpu, {}")]


def window_triggers(values: dict[str, tuple[float, ...]]) -> list[dict]:
    """Outbox items of a real engine for each entity's cpu values (rule: value > 5, so
    9 opens or repeats and 1 cancels), interleaved across entities sample by sample."""
    engine = Engine(zone="UTC")
    engine.install(RuleDefinition("hot", "cpu", "value > 5", "length(1)"), T0)
    items = []
    for n in range(max(len(v) for v in values.values())):
        for entity, series in values.items():
            if n < len(series):
                event = Event(SERIES, entity, "cpu", {}, T0 + n, T0 + n, series[n])
                items.extend(
                    {"id": f"0:{entity}{n}:{i}", "trigger": encode_trigger(t)}
                    for i, t in enumerate(engine.process(event, T0 + n))
                )
    return items


def alert_rows() -> dict:
    return {
        alert["entity"]: {k: v for k, v in alert.items() if k != "id"}
        for alert in Alert.objects.values()
    }


def test_one_store_of_many_triggers_per_window_leaves_the_rows_of_one_store_per_trigger():
    items = window_triggers({
        "reopened": (9, 9, 1, 9, 9), "repeated": (9, 9, 9), "cancelled": (9, 1),
        "opened": (9,),
    })  # fmt: skip
    for item in items:
        store_items(0, [item])
    one_by_one = alert_rows()
    Alert.objects.all().delete()
    TriggerRecord.objects.all().delete()
    AlertHistory.objects.all().delete()
    store_items(0, items)
    assert alert_rows() == one_by_one
    assert sorted(one_by_one) == ["opened", "reopened", "repeated"]
    assert one_by_one["reopened"]["repeat_count"] == 1


def test_a_repeat_keeps_the_acknowledgement_and_an_open_after_a_cancel_clears_it():
    first, second, third = (
        window_triggers({"db1": values}) for values in ((9,), (9, 9, 9), (9, 9, 9, 1, 9))
    )
    store_items(0, first)
    Alert.objects.update(acknowledged=True)
    store_items(0, second[1:])  # two REPEATs in one store
    assert Alert.objects.get().acknowledged
    assert Alert.objects.get().repeat_count == 2
    store_items(0, third[3:])  # CANCEL then OPEN in one store
    alert = Alert.objects.get()
    assert not alert.acknowledged
    assert alert.repeat_count == 0
