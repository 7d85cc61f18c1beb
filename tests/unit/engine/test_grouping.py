"""Grouping keys (spec §3.2): the table of the spec, row by row."""

from __future__ import annotations

import pytest

from rules.engine.grouping import (
    ALL_TAGS,
    DEFINED_TAGS,
    NO_TAGS,
    Grouping,
    display_key,
    key_from_json,
    key_to_json,
)

COMMANDS = [
    ("e1", {"t1": "v1", "t2": "v2"}),
    ("e1", {"t1": "v1", "t2": "v3"}),
    ("e3", {"t1": "v4", "t2": "v3"}),
]
COLUMNS = {
    "entity + all tags": Grouping(ALL_TAGS),
    "entity only": Grouping(NO_TAGS),
    "entity + t1": Grouping(DEFINED_TAGS, ("t1",)),
    "t1 only": Grouping(DEFINED_TAGS, ("t1",), disable_entity_grouping=True),
    "t2 only": Grouping(DEFINED_TAGS, ("t2",), disable_entity_grouping=True),
}
TABLE = [
    ["series-m1-e1-t1=v1-t2=v2", "series-m1-e1", "series-m1-e1-t1=v1", "series-m1-t1=v1",
     "series-m1-t2=v2"],
    ["series-m1-e1-t1=v1-t2=v3", "series-m1-e1", "series-m1-e1-t1=v1", "series-m1-t1=v1",
     "series-m1-t2=v3"],
    ["series-m1-e3-t1=v4-t2=v3", "series-m1-e3", "series-m1-e3-t1=v4", "series-m1-t1=v4",
     "series-m1-t2=v3"],
]  # fmt: skip


@pytest.mark.parametrize("row", range(3))
@pytest.mark.parametrize("column", range(5))
def test_grouping_table_of_the_spec(row, column):
    entity, tags = COMMANDS[row]
    grouping = list(COLUMNS.values())[column]
    assert display_key(grouping.key("series", "m1", entity, tags)) == TABLE[row][column]


def test_tag_names_are_sorted_whatever_the_command_order():
    key = Grouping().key("series", "m1", "e1", {"zeta": "1", "alpha": "2"})
    assert display_key(key) == "series-m1-e1-alpha=2-zeta=1"


def test_defined_tags_key_a_missing_tag_as_empty():
    g = Grouping(DEFINED_TAGS, (" mount_point", "file_system "))
    key = g.key("series", "disk", "e1", {"mount_point": "/"})
    assert key[3] == (("file_system", ""), ("mount_point", "/"))


def test_keys_round_trip_through_json():
    key = Grouping().key("series", "m1", "e1", {"t1": "v1"})
    assert key_from_json(key_to_json(key)) == key


def test_unknown_strategy_is_rejected():
    with pytest.raises(ValueError, match="SOME_TAGS"):
        Grouping("SOME_TAGS")
