"""loadHistory of message and property rules: new windows start with what the message
and property stores hold (real database, DatabaseStores)."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from rules.engine.definition import RuleDefinition
from rules.engine.engine import Engine
from rules.engine.grouping import Grouping
from rules.ingest.commands import parse_command
from rules.models import MessageRecord
from rules.stores import messages, properties
from rules.stores.service import DatabaseStores

pytestmark = pytest.mark.django_db
SEC = 1000
MIN = 60 * SEC


def now_ms() -> int:
    return int(time.time() * 1000)


def command(line: str, t: int):
    [event] = parse_command(f"{line} ms:{t}", t)
    return event


def store(*events) -> None:
    messages.record(events)
    properties.record(events)


def engine_with(rule: RuleDefinition) -> Engine:
    engine = Engine(stores=DatabaseStores(ttl_s=60, max_entries=100))
    engine.install(rule)
    return engine


def message_rule(window: str, **fields) -> RuleDefinition:
    return RuleDefinition(
        "r", "message", "count() > 0", window, type="backup", load_history=True,
        grouping=Grouping("NO_TAGS"), **fields,
    )  # fmt: skip


def test_a_new_message_window_starts_with_the_last_stored_messages_it_would_hold():
    now = now_ms()
    store(
        *(command(f"message e:e1 t:type=backup t:action=delete m:m{i}", now - i * SEC)
          for i in range(1, 5)),
        command("message e:e1 t:type=backup t:action=keep m:kept", now - 500),
        command("message e:e1 t:type=deploy t:action=delete m:other", now - 400),
        command("message e:e2 t:type=backup t:action=delete m:elsewhere", now - 300),
    )  # fmt: skip
    engine = engine_with(message_rule("length(3)", filter="tags.action == 'delete'"))
    opening = command("message e:e1 t:type=backup t:action=delete m:now", now)
    [trigger] = engine.process(opening, now)
    assert trigger.times == [now - 2 * SEC, now - SEC, now]
    assert trigger.statistics["count"] == 3


def test_a_new_message_time_window_holds_its_duration_only():
    now = now_ms()
    store(
        command("message e:e1 t:type=backup m:old", now - 10 * MIN),
        command("message e:e1 t:type=backup m:recent", now - 2 * MIN),
    )
    engine = engine_with(message_rule("time(5 minute)"))
    [trigger] = engine.process(command("message e:e1 t:type=backup m:now", now), now)
    assert trigger.times == [now - 2 * MIN, now]


def test_messages_received_beyond_the_retention_fill_nothing(settings):
    settings.MESSAGE_RETENTION_HOURS = 24
    now = now_ms()
    store(
        command("message e:e1 t:type=backup m:old", now - 2 * MIN),
        command("message e:e1 t:type=backup m:kept", now - MIN),
    )
    MessageRecord.objects.filter(text="old").update(
        received=datetime.now(tz=UTC) - timedelta(hours=25)
    )
    engine = engine_with(message_rule("time(2 day)"))
    [trigger] = engine.process(command("message e:e1 t:type=backup m:now", now), now)
    assert trigger.times == [now - MIN, now]


def test_a_failing_message_store_is_a_rule_error_and_the_window_starts_empty():
    now = now_ms()
    store(command("message e:e1 t:type=backup m:old", now - MIN))
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {MessageRecord._meta.db_table}")
    engine = engine_with(message_rule("length(3)"))
    [trigger] = engine.process(command("message e:e1 t:type=backup m:now", now), now)
    assert trigger.times == [now]
    [error] = engine.drain_errors()
    assert error.error.startswith("loadHistory: the message store is unavailable")


def property_rule(grouping: str) -> RuleDefinition:
    return RuleDefinition(
        "r", "property", "count() > 0", "length(5)", type="cfg", load_history=True,
        grouping=Grouping(grouping),
    )  # fmt: skip


def test_a_new_property_window_starts_with_the_latest_records_of_its_key():
    now = now_ms()
    store(
        command("property e:e1 t:cfg k:id=1 v:a=1", now - 3 * SEC),
        command("property e:e1 t:cfg k:id=1 v:a=2", now - 2 * SEC),  # replaces the first
        command("property e:e1 t:cfg k:id=2 v:a=3", now - SEC),
        command("property e:e1 t:other k:id=1 v:a=4", now - 500),
        command("property e:e2 t:cfg k:id=1 v:a=5", now - 400),
    )
    opening = command("property e:e1 t:cfg k:id=3 v:a=6", now)
    store(opening)  # ingest stores a command before the engine sees it
    engine = engine_with(property_rule("NO_TAGS"))
    [trigger] = engine.process(opening, now)
    assert trigger.times == [now - 2 * SEC, now - SEC, now]


def test_a_property_record_the_opening_command_updated_adds_nothing():
    now = now_ms()
    store(
        command("property e:e1 t:cfg k:id=1 v:a=1", now - SEC),
        command("property e:e1 t:cfg k:id=2 v:a=2", now - SEC),
    )
    opening = command("property e:e1 t:cfg k:id=1 v:a=3", now)
    store(opening)
    engine = engine_with(property_rule("ALL_TAGS"))
    [trigger] = engine.process(opening, now)
    assert trigger.times == [now]
