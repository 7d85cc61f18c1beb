"""The property store: latest state per (entity, type, keys), merged, bounded, cached."""

import pytest
from django.db import OperationalError

from rules.events import Event
from rules.expressions.stores import StoreUnavailable
from rules.ingest.commands import parse_command
from rules.models import PropertyRecord
from rules.stores import properties
from rules.stores.cache import TtlCache
from rules.stores.service import DatabaseStores

pytestmark = pytest.mark.django_db


def command(line: str, t: int = 1000) -> list[Event]:
    return parse_command(f"{line} ms:{t}", t)


def stored(entity: str = "e1", type_: str = "cfg") -> PropertyRecord:
    return PropertyRecord.objects.get(entity=entity, type=type_)


def test_a_property_command_is_stored_under_its_entity_type_and_keys():
    properties.record(
        command("property e:NurSWG t:Disk-Config k:FS_type=NFS v:Initiator=Pre-fetch")
    )
    rec = PropertyRecord.objects.get()
    assert (rec.entity, rec.type, rec.keys, rec.tags) == (
        "nurswg", "disk-config", {"fs_type": "NFS"}, {"initiator": "Pre-fetch"},
    )  # fmt: skip


def test_later_commands_merge_and_an_empty_value_deletes_a_tag():
    properties.record(command("property e:e1 t:cfg v:os=linux v:fs_type=ext4", 1000))
    properties.record(command('property e:e1 t:cfg v:fs_type="" v:cpu=4', 2000))
    rec = stored()
    assert rec.tags == {"os": "linux", "cpu": "4"}
    assert rec.last_tags == {"cpu": "4"}
    assert rec.previous_tags == {"os": "linux", "fs_type": "ext4"}
    assert rec.time_ms == 2000


def test_an_older_command_changes_nothing():
    properties.record(command("property e:e1 t:cfg v:os=new", 2000))
    properties.record(command("property e:e1 t:cfg v:os=old", 1000))
    assert stored().tags == {"os": "new"}


def test_the_same_command_applied_twice_keeps_what_came_before_it():
    events = command("property e:e1 t:cfg v:os=b", 2000)
    properties.record(command("property e:e1 t:cfg v:os=a", 1000))
    properties.record(events)
    properties.record(events)  # a retried hand-off
    assert stored().previous_tags == {"os": "a"}


def test_commands_of_one_batch_apply_in_order():
    batch = command("property e:e1 t:cfg v:os=a", 1000) + command(
        "property e:e1 t:cfg v:os=b", 1000
    )
    properties.record(batch)
    rec = stored()
    assert (rec.tags, rec.previous_tags) == ({"os": "b"}, {"os": "a"})


def test_keys_tell_records_apart():
    properties.record(command("property e:e1 t:disk k:name=sda v:size=1"))
    properties.record(command("property e:e1 t:disk k:name=sdb v:size=2"))
    assert PropertyRecord.objects.count() == 2


def test_rule_engine_only_commands_are_not_stored():
    properties.record(command("property e:e1 t:cfg v:os=a p:false"))
    assert not PropertyRecord.objects.exists()


def test_trim_keeps_the_most_recently_updated_records():
    for n in range(5):
        properties.record(command(f"property e:e{n} t:cfg v:n={n}", 1000 + n))
    assert properties.trim(2) == 3
    assert sorted(PropertyRecord.objects.values_list("entity", flat=True)) == ["e3", "e4"]
    assert properties.trim(2) == 0


def test_reads_are_cached_within_the_ttl(django_assert_num_queries):
    properties.record(command("property e:e1 t:cfg v:os=a", 1000))
    stores = DatabaseStores(ttl_s=60, max_entries=10)
    with django_assert_num_queries(1):
        [first] = stores.properties("e1", "cfg")
        assert stores.properties("e1", "cfg") == (first,)
    assert first.tags == {"os": "a"}
    properties.record(command("property e:e1 t:cfg v:os=b", 2000))
    assert stores.properties("e1", "cfg")[0].tags == {"os": "a"}  # cached
    stores.forget()
    assert stores.properties("e1", "cfg")[0].tags == {"os": "b"}


def test_the_cache_is_bounded_least_recently_used_first():
    cache: TtlCache[int] = TtlCache(ttl_s=60, max_entries=2)
    loads = []
    for key in ("a", "b", "a", "c", "a", "b"):
        cache.get(key, lambda key=key: loads.append(key) or len(loads))
    assert loads == ["a", "b", "c", "b"]


def test_a_database_failure_is_store_unavailable():
    cache: TtlCache[int] = TtlCache(ttl_s=60, max_entries=2)

    def down() -> int:
        raise OperationalError("could not connect to server")

    with pytest.raises(StoreUnavailable, match="could not connect"):
        cache.get("k", down)


def test_command_tags_are_the_commands_own_while_it_is_the_newest():
    properties.record(command("property e:e1 t:cfg v:os=a v:cpu=2", 1000))
    properties.record(command("property e:e1 t:cfg v:os=b", 2000))
    assert properties.command_tags("e1", "cfg", {}, 2000) == {"os": "b"}
    assert properties.command_tags("e1", "cfg", {}, 1000) == {"os": "b", "cpu": "2"}
    assert properties.command_tags("e1", "other", {}, 1000) == {}


def test_other_kinds_of_events_are_ignored():
    properties.record(command("series e:e1 m:m1=1") + command("message e:e1 m:hello"))
    assert not PropertyRecord.objects.exists()
