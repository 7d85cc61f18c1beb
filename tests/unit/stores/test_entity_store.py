"""ATSD's ``entity`` command on the registry, and the entity reads of functions."""

from datetime import UTC, datetime, timedelta

import pytest

from rules.events import ENTITY
from rules.ingest.commands import CommandError, parse_command
from rules.ingest.names import Names
from rules.models import Entity, EntityMetric
from rules.stores import entities
from rules.stores.service import DatabaseStores

pytestmark = pytest.mark.django_db


def apply(*lines: str) -> list:
    return entities.apply([e for line in lines for e in parse_command(line, 1000)])


def test_the_command_creates_the_entity_with_its_fields_and_tags():
    rest = apply("entity e:NurSWGvml007 z:PST i:previous t:Location=SVL t:environment=production")
    assert rest == []
    entity = Entity.objects.get()
    assert (entity.name, entity.time_zone, entity.interpolate, entity.enabled) == (
        "nurswgvml007", "PST", "previous", True,
    )  # fmt: skip
    assert entity.tags == {"location": "SVL", "environment": "production"}


def test_fields_not_named_stay_and_empty_values_remove():
    apply("entity e:e1 z:PST l:First t:location=SVL t:environment=production")
    apply('entity e:e1 b:false l:NURSWGVML007 t:environment="" z:""')
    entity = Entity.objects.get(name="e1")
    assert (entity.label, entity.enabled, entity.time_zone) == ("NURSWGVML007", False, "")
    assert entity.tags == {"location": "SVL"}
    apply('entity e:e1 l:""')
    assert Entity.objects.get(name="e1").label == ""


def test_commands_apply_in_order_and_other_events_pass_through():
    rest = apply("entity e:e1 l:a", "series e:e1 m:m1=1", "entity e:e1 l:b t:x=1")
    assert [e.kind for e in rest] == ["series"]
    assert Entity.objects.get(name="e1").label == "b"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("entity l:x", "missing required field e:"),
        ("entity e:e1 b:maybe", "b:maybe"),
        ("entity e:e1 i:cubic", "expected linear, previous"),
        ("entity e:e1 m:x=1", "unknown field prefix 'm:'"),
    ],
)
def test_bad_entity_commands_are_refused(line, reason):
    with pytest.raises(CommandError, match=reason):
        parse_command(line, 1000)


def test_an_entity_command_is_one_event_of_its_own_kind():
    [event] = parse_command("entity e:e1 l:x t:a=b", 1000)
    assert (event.kind, event.entity, event.text, event.tags) == (ENTITY, "e1", "x", {"a": "b"})


def test_ingest_keeps_which_entity_sent_which_metric():
    names = Names()
    names.observe(parse_command("series e:e1 m:cpu=1 m:mem=2", 1000))
    names.observe(parse_command("series e:e2 m:cpu=1", 1000) + parse_command("message e:e3 m:x", 1))
    pairs = set(EntityMetric.objects.values_list("entity", "metric"))
    assert pairs == {("e1", "cpu"), ("e1", "mem"), ("e2", "cpu")}


def test_the_reader_gives_entities_and_the_entities_of_a_metric():
    apply("entity e:zk1 l:ZooKeeper t:url=http://zk1")
    Names().observe(
        parse_command("series e:zk1 m:tick=1", 1) + parse_command("series e:zk2 m:tick=1", 1)
    )
    EntityMetric.objects.filter(entity="zk2").update(
        last_insert=datetime(2020, 1, 1, tzinfo=UTC) + timedelta(minutes=1)
    )
    stores = DatabaseStores(ttl_s=60, max_entries=10)
    zk1 = stores.entity("zk1")
    assert zk1 is not None
    assert (zk1.label, zk1.tags) == ("ZooKeeper", {"url": "http://zk1"})
    assert stores.entity("nobody") is None
    assert stores.entity_by_label("zookeeper") == "zk1"
    activity = {a.entity.name: a for a in stores.metric_entities("tick")}
    assert set(activity) == {"zk1", "zk2"}
    assert activity["zk1"].entity.label == "ZooKeeper"
    assert activity["zk2"].last_insert_ms == 1_577_836_860_000


def test_an_entity_tags_property_sets_entity_tags_and_still_reaches_rules():
    apply("entity e:e1 t:env=test t:owner=ops")
    rest = apply('property e:e1 t:$entity_tags v:env=prod v:owner=""')
    assert [e.type for e in rest] == ["$entity_tags"]
    assert Entity.objects.get(name="e1").tags == {"env": "prod"}
