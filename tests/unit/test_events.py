"""Events on the wire: every field an event can carry comes back from ``to_wire``."""

from __future__ import annotations

import dataclasses
import math

import orjson
import pytest

from rules.events import MESSAGE, SERIES, Event

# A value other than the default for every field after the seven that always travel.
NOT_DEFAULT = {
    "value": 3.5,
    "text": "note",
    "line_values": {"cpu": 3.5, "mem": 1.0},
    "type": "app",
    "source": "syslog",
    "severity": 6,
    "keys": {"id": "7"},
    "persist": False,
    "derived_depth": 2,
}


def plain_series() -> Event:
    return Event(SERIES, "host-1", "cpu", {"dc": "eu"}, 1000, 2000, 3.5, None, {"cpu": 3.5})


def test_a_plain_series_event_travels_as_seven_fields():
    wire = plain_series().to_wire()
    assert wire == [SERIES, "host-1", "cpu", {"dc": "eu"}, 1000, 2000, 3.5]
    assert Event.from_wire(orjson.loads(orjson.dumps(wire))) == plain_series()


@pytest.mark.parametrize("field", [f.name for f in dataclasses.fields(Event)[6:]])
def test_every_field_that_differs_from_its_default_comes_back(field):
    assert field in NOT_DEFAULT, f"give the new Event field {field!r} a value in NOT_DEFAULT"
    event = dataclasses.replace(plain_series(), **{field: NOT_DEFAULT[field]})
    back = Event.from_wire(orjson.loads(orjson.dumps(event.to_wire())))
    assert back == event


def test_nan_values_travel_as_null():
    event = Event(MESSAGE, "host-1", MESSAGE, {}, 1000, 2000)
    wire = event.to_wire()
    assert wire[6] is None
    assert math.isnan(Event.from_wire(wire).value)
