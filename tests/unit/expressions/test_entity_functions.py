"""Entity metadata functions over the entity registry."""

from __future__ import annotations

import pytest

from rules.expressions.errors import EvaluationError
from rules.expressions.values import EntityValue
from tests.unit.expressions.doubles import MemoryStores
from tests.unit.expressions.helpers import ev

MINUTE = 60_000
NOW = 10_000 * MINUTE

NODES = [
    (EntityValue("zk1", "ZooKeeper 1", {"url": "http://zk1", "env": "prod"}, enabled=True), NOW),
    (EntityValue("zk2", None, {"env": "prod"}, enabled=True), NOW - 30 * MINUTE),
    (EntityValue("zk3", None, {"env": "test"}, enabled=False), NOW - 3 * 24 * 60 * MINUTE),
]
STORES = MemoryStores(entities=NODES)


def run(text, **names):
    return ev(text, {"entity": EntityValue("zk1"), **names}, now_ms=NOW, stores=STORES)


def test_entity_label_and_tags():
    assert run("entity_label('zk1')") == "ZooKeeper 1"
    assert run("entity_label('ZK1')") == "ZooKeeper 1"
    assert run("entity_label(entity)") == "ZooKeeper 1"
    assert run("entity_tag('zk1', 'url')") == "http://zk1"
    assert run("entity_tags('zk2')") == {"env": "prod"}
    assert run("entity_tags('zk2', true)") == {"env": "prod"}


def test_unknown_entities_and_tags_are_empty():
    assert run("entity_label('zk2')") == "zk2"  # no label: the argument
    assert run("entity_label('nobody')") == "nobody"
    assert run("entity_tag('zk1', 'missing')") == ""
    assert run("entity_tag('nobody', 'url')") == ""
    assert run("entity_tags('nobody')") == {}
    assert run("entity_label(null)") == ""


def test_get_entity_by_name_and_by_label():
    assert run("getEntity('zk1').label") == "ZooKeeper 1"
    assert run("getEntity('zk1').tags.env") == "prod"
    assert run("getEntity('zookeeper 1')") is None
    assert run("getEntity('zookeeper 1', true).name") == "zk1"
    assert run("getEntity('nobody')") is None


def test_get_entity_name_by_name_then_by_label():
    assert run("getEntityName('ZK2')") == "zk2"
    assert run("getEntityName('zookeeper 1')") == "zk1"
    assert run("getEntityName('Nobody')") == "Nobody"


def test_get_entity_count_by_last_insert_time():
    assert run("getEntityCount('m')") == 3
    assert run("getEntityCount('m', 'now - 1 * DAY', 'now - 2 * MINUTE', '')") == 1
    assert run("getEntityCount('m', 'now - 1 * HOUR')") == 2
    assert run("getEntityCount('other', 'now - 1 * DAY', 'now', '')") == 0


def test_get_entity_count_with_an_expression():
    assert run("getEntityCount('m', '', '', \"tags.env = 'prod'\")") == 2
    assert run("getEntityCount('m', null, null, 'enabled = false')") == 1
    assert run("getEntityCount('m', '', '', \"name LIKE 'zk*' AND label = 'ZooKeeper 1'\")") == 1


def test_get_entities_lists_the_entities():
    assert run("getEntities('m', 'now - 1 * HOUR')") == ["zk1", "zk2"]


def test_bad_arguments_are_rule_errors():
    with pytest.raises(EvaluationError, match="cannot read date"):
        run("getEntityCount('m', 'a week ago')")
    with pytest.raises(EvaluationError, match="bad expression"):
        run("getEntityCount('m', '', '', 'tags.env =')")
    with pytest.raises(EvaluationError, match="bool"):
        run("getEntityCount('m', '', '', 'name')")


def test_an_unavailable_registry_is_a_rule_error():
    with pytest.raises(EvaluationError, match="unavailable"):
        ev("entity_label('zk1')", stores=MemoryStores(failing=True))
    with pytest.raises(EvaluationError, match="unavailable"):
        ev("getEntityCount('m')", stores=MemoryStores(failing=True))
