"""Routing: every event reaches the partitions owning its windows, with their rule names."""

import pytest

from rules.engine.grouping import ALL_TAGS, NO_TAGS, Grouping
from rules.events import SERIES, Event
from rules.routing.table import RouteTable
from tests.engine_helpers import make_rule

pytestmark = pytest.mark.django_db


def series(entity: str, metric: str, tags: dict | None = None) -> Event:
    return Event(SERIES, entity, metric, tags or {}, 1000, 1000, 1.0, line_values={metric: 1.0})


def expected(table: RouteTable, events: list[Event], rules: dict) -> dict[int, list[list]]:
    """What routing must give, event by event, from partition_of alone."""
    out: dict[int, list[list]] = {}
    for event in events:
        by_partition: dict[int, list[str]] = {}
        for name, (metric, grouping) in rules.items():
            if metric == event.metric:
                part = table.partition_of(name, grouping, event, metric)
                by_partition.setdefault(part, []).append(name)
        for part, names in by_partition.items():
            out.setdefault(part, []).append([event.to_wire(), names])
    return out


def test_interleaved_metrics_route_each_event_to_the_owners_of_its_windows(broker):
    make_rule("cpu_hot", "cpu", "value > 1", "length(3)", tags_grouping_strategy=NO_TAGS)
    make_rule("cpu_avg", "cpu", "avg() > 1", "length(3)", tags_grouping_strategy=NO_TAGS)
    make_rule("disk_full", "disk", "value > 1", "length(3)", tags_grouping_strategy=ALL_TAGS)
    rules = {
        "cpu_hot": ("cpu", Grouping(NO_TAGS)),
        "cpu_avg": ("cpu", Grouping(NO_TAGS)),
        "disk_full": ("disk", Grouping(ALL_TAGS)),
    }
    table = RouteTable(4)
    events = [
        series(f"e{i}", metric, {"mount": f"/m{i % 3}"} if metric == "disk" else None)
        for i in range(40)
        for metric in (("cpu", "cpu", "disk", "mem")[i % 4],)
    ]
    routed = table.route(events)
    assert routed == expected(table, events, rules)
    assert sum(len(rows) for rows in routed.values()) > len(events) // 2
    assert table.route(events) == routed  # the per-entity cache gives the same answer


def test_events_no_rule_selects_are_not_routed(broker):
    make_rule("cpu_hot", "cpu", "value > 1", "length(3)")
    assert RouteTable(2).route([series("e1", "mem"), series("e2", "net")]) == {}


def test_one_entity_with_many_tag_values_routes_each_series_to_its_own_owner(broker):
    make_rule("disk_full", "disk", "value > 1", "length(3)", tags_grouping_strategy=ALL_TAGS)
    rules = {"disk_full": ("disk", Grouping(ALL_TAGS))}
    table = RouteTable(8)
    events = [series("host", "disk", {"mount": f"/m{i % 16}", "dc": "eu"}) for i in range(64)]
    events += [series("host", "disk", {"dc": "eu", "mount": f"/m{i}"}) for i in range(16)]
    routed = table.route(events)
    assert routed == expected(table, events, rules)
    assert len(routed) > 1  # the series of one entity spread over partitions
    assert table.route(events) == routed  # from the per-series cache
