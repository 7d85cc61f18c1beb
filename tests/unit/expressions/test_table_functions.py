"""lookup(), replacementTable() and collection(): ATSD's lookup function examples."""

from __future__ import annotations

import pytest

from rules.expressions.errors import EvaluationError
from tests.unit.expressions.doubles import MemoryStores
from tests.unit.expressions.helpers import ev

STORES = MemoryStores(
    tables={"oncall": {"mary": "555-0101", "bob": "555-0102"},
            "graphql-queries": {"issue-list": "{ issues { id } }"}},
    collections={"dc-locations": ["SVL", "NUR"]},
)  # fmt: skip


def run(text, **names):
    return ev(text, names, stores=STORES)


def test_lookup_returns_the_value_of_the_key():
    assert run("lookup('oncall', 'mary')") == "555-0101"
    assert run("lookup('graphql-queries', 'issue-list')") == "{ issues { id } }"


def test_lookup_of_a_missing_key_or_table_is_empty_or_the_key():
    assert run("lookup('oncall', 'john')") == ""
    assert run("lookup('oncall', 'john', true)") == "john"
    assert run("lookup('no-table', 'john', true)") == "john"
    assert run("lookup('no-table', 'john')") == ""
    assert run("lookup('oncall', 'john', false)") == ""


def test_replacement_table_is_the_whole_map():
    assert run("replacementTable('oncall').bob") == "555-0102"
    assert run("replacementTable('no-table')") == {}


def test_collection_lists_the_items():
    assert run("tags.location NOT IN collection('dc-locations')", tags={"location": "LON"}) is True
    assert run("collection('dc-locations').contains(tags.location)", tags={"location": "NUR"})
    assert run("collection('dc-locations')[1]") == "NUR"
    assert run("collection('missing')") == []


def test_a_keep_key_flag_that_is_not_boolean_is_a_rule_error():
    with pytest.raises(EvaluationError):
        run("lookup('oncall', 'john', 'yes')")


def test_unavailable_stores_are_rule_errors():
    failing = MemoryStores(failing=True)
    for text in ("lookup('t', 'k')", "replacementTable('t')", "collection('c')"):
        with pytest.raises(EvaluationError, match="unavailable"):
            ev(text, stores=failing)
