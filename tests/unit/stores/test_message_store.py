"""The message store: every stored message command, kept for a bounded time, read cached."""

from datetime import UTC, datetime, timedelta

import pytest

from rules.ingest.commands import parse_command
from rules.models import MessageRecord
from rules.stores import messages
from rules.stores.service import DatabaseStores

pytestmark = pytest.mark.django_db


def send(*lines: str, t: int = 1000) -> None:
    messages.record([e for line in lines for e in parse_command(f"{line} ms:{t}", t)])


def test_a_message_command_is_stored_with_its_fields():
    send('message e:Server001 t:type=backup t:source=cron t:severity=warning t:job=x m:"done"')
    row = MessageRecord.objects.get()
    assert (row.entity, row.type, row.source, row.severity, row.text, row.time_ms) == (
        "server001", "backup", "cron", 3, "done", 1000,
    )  # fmt: skip
    assert row.tags == {"type": "backup", "source": "cron", "severity": "warning", "job": "x"}


def test_rule_engine_only_messages_and_other_commands_are_not_stored():
    send("message e:e1 t:type=deploy p:false m:x", "series e:e1 m:m1=1", "property e:e1 t:c v:a=b")
    assert not MessageRecord.objects.exists()


def test_expire_drops_old_messages_then_the_oldest_beyond_the_cap():
    send("message e:e1 m:a", "message e:e1 m:b", "message e:e1 m:c")
    MessageRecord.objects.filter(text="a").update(
        received=datetime.now(tz=UTC) - timedelta(hours=25)
    )
    assert messages.expire(retention_hours=24, max_records=1) == 2
    assert list(MessageRecord.objects.values_list("text", flat=True)) == ["c"]


def test_reads_select_by_entity_type_and_source_and_are_cached(django_assert_num_queries):
    send("message e:e1 t:type=Backup t:source=cron m:one", t=1000)
    send("message e:e1 t:type=backup m:two", "message e:e2 t:type=backup m:three", t=2000)
    stores = DatabaseStores(ttl_s=60, max_entries=10)
    assert [m.text for m in stores.messages("e1", "BACKUP", None)] == ["two", "one"]
    assert [m.text for m in stores.messages(None, "backup", "cron")] == ["one"]
    assert len(stores.messages(None, None, None)) == 3
    with django_assert_num_queries(0):
        stores.messages("e1", "BACKUP", None)
