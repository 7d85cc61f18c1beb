"""Stored message functions: the examples of ATSD's message function page."""

from __future__ import annotations

import pytest

from rules.expressions.errors import EvaluationError
from rules.expressions.stores import MessageItem
from rules.expressions.values import EntityValue
from tests.unit.expressions.doubles import MemoryStores
from tests.unit.expressions.helpers import ev

MINUTE = 60_000
NOW = 1_000 * MINUTE


def message(entity, type_, source="", tags=None, text="", minutes_ago=1, severity=2):
    return MessageItem(entity, type_, source, severity, tags or {}, text,
                       NOW - minutes_ago * MINUTE)  # fmt: skip


STORES = MemoryStores(
    messages=[
        message("nurswgvml007", "compaction", "hbase", text="compacted", minutes_ago=30),
        message("nurswgvml007", "logger", "app", {"command": "ls"}, "disk slow", 5, severity=6),
        message("nurswgvml007", "logger", "app", {"command": "df"}, "disk full", 2, severity=3),
        message("nurswgvml006", "backup-error", "cron", text="backup failed", minutes_ago=10),
        message(
            "slack",
            "webhook",
            "slack",
            {"event.type": "message", "event.channel": "D7"},
            "docker start sftp-1",
            minutes_ago=0.2,
        ),
        message("slack", "webhook", "slack", {}, "ping", minutes_ago=0.1),
        message("nurswgvml007", "compaction", "hbase", text="old", minutes_ago=120),
    ]
)


def run(text, entity="nurswgvml007", timestamp=NOW, **names):
    names = {"entity": EntityValue(entity), "timestamp": timestamp, **names}
    return ev(text, names, now_ms=NOW, stores=STORES)


def test_count_of_the_current_entity_within_the_interval():
    assert run("db_message_count('1 hour', 'compaction', '')") == 1
    assert run("db_message_count('3 hour', 'compaction', '')") == 2
    assert run("avg() > 20 && db_message_count('1 hour', 'compaction', '') == 0",
               window=None) is False  # fmt: skip


def test_count_of_another_entity_and_of_all_entities():
    assert run("db_message_count('15 minute', 'backup-error', '', '', 'nurswgvml006') > 0")
    assert run("db_message_count('1 hour', 'compaction', '', '', '*')") == 1
    assert run("db_message_count('1 hour', null, null, null, '')") == 6
    assert run("db_message_count('1 hour', '', '', '', 'nurswg*')") == 4


def test_the_interval_ends_before_the_windows_last_command():
    assert run("db_message_count('1 hour', 'logger', '')", timestamp=NOW - 3 * MINUTE) == 1


def test_tags_as_text_and_as_a_map_match_messages_carrying_them():
    assert run("db_message_count('1 hour', 'logger', '', 'command=ls')") == 1
    assert run("db_message_count('1 hour', 'logger', '', ['command': 'd*'])") == 1
    assert run("db_message_count('1 hour', 'logger', '', 'command=ls,user=x')") == 0


def test_expression_filters_on_message_fields():
    text = "db_message_count('1 hour', 'logger', '', '', '', 'message LIKE \"disk*\"')"
    assert run(text) == 2
    assert run("db_message_count('1 hour', '', '', '', '*', 'tags.isEmpty() = true')") == 3
    assert run("db_message_count('1 hour', 'logger', '', '', '', 'severity = \"CRITICAL\"')") == 1


def test_last_message_and_its_fields():
    assert run("db_message_last('60 minute', 'logger', '').message") == "disk full"
    assert run("db_message_last('60 minute', 'logger', '').timestamp") == NOW - 2 * MINUTE
    last = "db_message_last('60 minute', 'logger', '')"
    assert run(f"{last} != null && {last}.severity.toString() >= '3'") is True
    assert run(f"{last}.tags.command") == "df"
    assert run(f"{last}.date") is None
    slack = (
        "db_message_last('1 minute', 'webhook', 'slack', 'event.channel=D7,event.type=message',"
        " 'slack', 'message LIKE \"docker start sftp*\"').message"
    )
    assert run(slack) == "docker start sftp-1"


def test_last_message_not_found_is_null():
    assert run("db_message_last('1 minute', 'logger', '')") is None


def test_messages_newest_first():
    assert run("db_messages('1 hour', 'logger', '')[0].message") == "disk full"
    assert [m.expression_member("message") for m in run("db_messages('1 hour', 'logger', '')")] == [
        "disk full",
        "disk slow",
    ]
    assert run("db_messages('1 second', 'logger', '')") == []


def test_bad_arguments_are_rule_errors():
    with pytest.raises(EvaluationError, match="interval"):
        run("db_message_count('an hour', 'logger', '')")
    with pytest.raises(EvaluationError, match="not name=value"):
        run("db_message_count('1 hour', 'logger', '', 'command')")
    with pytest.raises(EvaluationError, match="bad expression"):
        run("db_message_count('1 hour', 'logger', '', '', '', 'message LIKE')")
    with pytest.raises(EvaluationError, match="tags must be"):
        run("db_message_count('1 hour', 'logger', '', 42)")


def test_an_unavailable_store_is_a_rule_error():
    with pytest.raises(EvaluationError, match="unavailable"):
        ev("db_message_count('1 hour', 'x', '')", {"entity": "e"},
           stores=MemoryStores(failing=True))  # fmt: skip


def test_without_stores_nothing_is_found():
    assert ev("db_message_count('1 hour', 'x', '')", {"entity": "e"}) == 0
