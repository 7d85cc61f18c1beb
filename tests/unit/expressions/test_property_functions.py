"""Property functions over stored records: the examples of ATSD's property function page."""

from __future__ import annotations

import pytest

from rules.expressions.errors import EvaluationError
from rules.expressions.stores import PropertyItem
from rules.expressions.values import EntityValue
from tests.unit.expressions.doubles import MemoryStores
from tests.unit.expressions.helpers import ev

DAY = 86_400_000
NOW = 20 * DAY + 3_600_000  # 1970-01-21T01:00Z


def item(type_, tags, keys=None, t=NOW - 1000, last=None, previous=None):
    return PropertyItem(type_, keys or {}, tags, t, last if last is not None else tags,
                        previous or {})  # fmt: skip


DISKS = [
    item("linux.disk", {"mount_point": "/"}, {"fstype": "ext4", "name": "sda"}),
    item("linux.disk", {"mount_point": "/boot"}, {"fstype": "xfs", "name": "sdb"}),
]
CONFIGURATION = item(
    "configuration",
    {"cpu_count": "4", "cpu_mhz": "2400", "os": "Linux"},
    {"host": "nurswgvml007"},
    last={"os": "Linux"},
)
STORES = MemoryStores(
    [
        ("nurswgvml007", item("docker.container", {"image": "axibase/atsd"}, {"id": "a1"})),
        ("nurswgvml007", item("docker.container", {"image": "nginx"}, {"id": "b2"}, t=NOW - DAY)),
        *(("nurswgvml007", disk) for disk in DISKS),
        ("nurswgvml007", CONFIGURATION),
        ("nurswgvml006", item("docker.container", {"image": "redis"}, {"id": "c3"})),
    ]
)


def run(text, entity="nurswgvml007", **names):
    return ev(text, {"entity": EntityValue(entity), **names}, now_ms=NOW, stores=STORES)


def test_property_reads_the_newest_record_of_the_current_entity():
    assert run("property('docker.container::image')") == "axibase/atsd"


def test_property_of_a_named_entity():
    assert run("property('nurswgvml006', 'docker.container::image')") == "redis"


def test_property_with_a_start_date_skips_older_records():
    assert run("property('nurswgvml007', 'docker.container::image', 'today')") == "axibase/atsd"
    late = "property('nurswgvml007', 'docker.container::image', '1970-01-21T02:00:00Z')"
    assert run(late) == ""


def test_property_not_found_is_an_empty_string():
    assert run("property('docker.container::missing')") == ""
    assert run("property('no.such.type::image')") == ""
    assert run("property('nobody', 'docker.container::image')") == ""


def test_property_values_lists_distinct_values_newest_first():
    assert run("property_values('docker.container::image')") == ["axibase/atsd", "nginx"]
    assert run("property_values('docker.container::image')[1]") == "nginx"
    assert run("property_values('docker.container::image').get(1)") == "nginx"


def test_property_values_filtered_by_keys():
    assert run("property_values('linux.disk:fstype=ext4:mount_point').contains('/')") is True
    assert run("property_values('linux.disk:fstype=ext4,name=sdb:mount_point')") == []
    assert run("property_values('linux.disk:name=sd*:mount_point')") == ["/", "/boot"]


def test_property_values_since_a_calendar_keyword():
    text = "property_values('nurswgvml007', 'docker.container::image', 'now - 2 * HOUR')"
    assert run(text) == ["axibase/atsd"]


def test_property_map_puts_sorted_keys_before_matching_sorted_tags():
    assert run("property_map('configuration::cpu*')") == {
        "host": "nurswgvml007",
        "cpu_count": "4",
        "cpu_mhz": "2400",
    }
    assert list(run("property_map('nurswgvml007', 'configuration::*')")) == [
        "host", "cpu_count", "cpu_mhz", "os",
    ]  # fmt: skip


def test_property_map_without_merge_keeps_the_newest_command_tags():
    text = "property_map('nurswgvml007', 'configuration::*', null, false)"
    assert run(text) == {"host": "nurswgvml007", "os": "Linux"}


def test_property_map_not_found_is_an_empty_map():
    assert run("property_map('configuration::gpu*')") == {"host": "nurswgvml007"}
    assert run("property_map('nobody', 'configuration::*')") == {}


def test_property_maps_one_map_per_record():
    assert run("property_maps('docker.container::')") == [{"id": "a1"}, {"id": "b2"}]
    assert run("property_maps('docker.container::*')[1].get('image')") == "nginx"


def test_a_malformed_search_is_a_rule_error():
    with pytest.raises(EvaluationError, match="type:key=value:tag"):
        run("property('docker.container')")
    with pytest.raises(EvaluationError, match="not name=value"):
        run("property('linux.disk:fstype:mount_point')")


def test_a_search_that_is_not_text_is_a_rule_error():
    with pytest.raises(EvaluationError, match="must be a string"):
        run("property('nurswgvml007', 42)")


def test_a_bad_date_is_a_rule_error():
    with pytest.raises(EvaluationError, match="cannot read date"):
        run("property('nurswgvml007', 'docker.container::image', 'last tuesday')")


def test_an_unavailable_store_is_a_rule_error():
    with pytest.raises(EvaluationError, match="unavailable"):
        ev("property('docker.container::image')", {"entity": "e"},
           stores=MemoryStores(failing=True))  # fmt: skip


def test_without_stores_nothing_is_found():
    assert ev("property('docker.container::image')", {"entity": "e"}) == ""


# -- property_compare / property_compare_except -------------------------------------------

PREVIOUS = {"state": "Stopped", "location": "NUR", "exit_code": "-1", "args": "-Xloggc:gc_100.log"}
COMMAND = {"state": "Running", "location": "NUR", "process_id": "730",
           "args": "-Xloggc:gc_712.log"}  # fmt: skip


def compare(text, stored_time=NOW):
    record = PropertyItem("process", {"pid_key": "1"}, {**PREVIOUS, **COMMAND}, stored_time,
                          COMMAND, PREVIOUS)  # fmt: skip
    stores = MemoryStores([("e1", record)])
    names = {"entity": EntityValue("e1"), "type": "process", "keys": {"pid_key": "1"},
             "properties": COMMAND, "timestamp": NOW}  # fmt: skip
    return ev(text, names, now_ms=NOW, stores=stores)


def test_property_compare_lists_changed_tags_old_to_new():
    assert compare("property_compare()") == {
        "args": "'-Xloggc:gc_100.log' -> '-Xloggc:gc_712.log'",
        "process_id": "'' -> '730'",
        "state": "'Stopped' -> 'Running'",
    }


def test_property_compare_without_merge_counts_missing_tags_as_removed():
    assert compare("property_compare(false)")["exit_code"] == "'-1' -> ''"


def test_property_compare_against_a_store_without_the_command_uses_its_merged_tags():
    # The record predates the command: its merged tags are what came before it.
    assert compare("property_compare()", stored_time=NOW - 5) == {}


def test_property_compare_except_ignores_named_tags():
    assert compare("property_compare_except(['pid*', 'args', 'state'])") == {
        "process_id": "'' -> '730'"
    }
    assert compare("NOT property_compare_except(['process_id', '*s*']).isEmpty()") is False


def test_property_compare_except_ignores_previous_values():
    assert compare("property_compare_except(['pid', '*time'], ['*Xloggc*'])") == {
        "process_id": "'' -> '730'",
        "state": "'Stopped' -> 'Running'",
    }


def test_property_compare_outside_property_rules_is_a_rule_error():
    with pytest.raises(EvaluationError, match="property data type"):
        ev("property_compare()", {"entity": "e1"}, stores=MemoryStores())
