"""The trigger snapshot's one codec: strict JSON, versioned, the same for outbox and row."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import pytest

from rules.contract.triggers import (
    FORMAT_VERSION,
    ActionOutcome,
    Decision,
    TriggerFormatError,
    TriggerSnapshot,
    decode_trigger,
    encode_trigger,
)
from rules.engine.actions import ActionSettings
from rules.engine.definition import RuleDefinition
from rules.engine.engine import Engine
from rules.events import SERIES, Event
from rules.expressions.datetime_value import DateTime

T0 = 1_700_000_000_000


def opened(**fields: object) -> TriggerSnapshot:
    """The OPEN a real engine makes for a sample above 50 after a NaN sample."""
    engine = Engine(zone="UTC")
    engine.install(
        RuleDefinition(
            "hot", "temperature", "value > 50", "length(3)",
            variables=(("doubled", "value * 2"),),
            actions=(ActionSettings("web:room"),),
        ),
        T0,
    )  # fmt: skip
    for n, value in enumerate((math.nan, 90.0)):
        event = Event(SERIES, "e1", "temperature", {"dc": "eu"}, T0 + n, T0 + n, value,
                      line_values={"temperature": value})  # fmt: skip
        triggers = engine.process(event, T0 + n)
    [trigger] = triggers
    return replace(trigger, **fields)  # type: ignore[arg-type]


def test_the_encoded_form_is_strict_json_with_the_format_version():
    data = encode_trigger(opened())
    again = json.loads(json.dumps(data, allow_nan=False))
    assert again["v"] == FORMAT_VERSION
    assert again["values"] == [None, 90.0]
    assert again["tags"] == {"dc": "eu"}
    assert again["actions"] == [{"action": "web:room", "decision": "fire", "countdown_ms": 0}]


def test_decode_gives_back_the_snapshot_with_nan_for_none():
    trigger = opened()
    again = decode_trigger(json.loads(json.dumps(encode_trigger(trigger))))
    assert math.isnan(again.values[0])
    assert again.values[1] == 90.0
    assert replace(again, values=[]) == replace(trigger, values=[])
    assert again.fired() == ["web:room"]
    assert again.details_statistics()["count"] == 1


def test_variables_that_are_not_json_travel_as_their_expression_text():
    trigger = opened(variables={"at": DateTime(T0, "UTC"), "ratio": math.inf, "n": [1, 2]})
    variables = encode_trigger(trigger)["variables"]
    assert variables["ratio"] is None
    assert variables["n"] == [1, 2]
    assert isinstance(variables["at"], str)
    assert variables["at"].startswith("2023-11-14")


def test_data_written_before_the_version_field_reads_as_version_one():
    data = encode_trigger(opened())
    del data["v"]
    assert decode_trigger(data).status == "OPEN"


def test_an_unknown_format_version_is_refused_with_a_clear_error():
    data = encode_trigger(opened()) | {"v": 2}
    with pytest.raises(TriggerFormatError, match="version 2 is unknown; this build reads 1"):
        decode_trigger(data)


def test_data_missing_a_field_is_refused_naming_it():
    data = encode_trigger(opened())
    del data["episode"]
    with pytest.raises(TriggerFormatError, match="lacks episode"):
        decode_trigger(data)


def test_only_firing_actions_are_fired():
    trigger = opened(
        actions=(
            ActionOutcome("web:a", Decision.FIRE),
            ActionOutcome("web:b", Decision.SUPPRESS),
            ActionOutcome("web:c", Decision.SCHEDULE, 60_000),
        )
    )
    assert trigger.fired() == ["web:a"]


def test_data_without_the_logging_text_reads_with_an_empty_one():
    data = encode_trigger(opened())
    del data["alert_text"]
    assert decode_trigger(data).alert_text == ""
    text = replace(opened(), alert_text="hot\tOPEN")
    assert decode_trigger(json.loads(json.dumps(encode_trigger(text)))).alert_text == "hot\tOPEN"


FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "triggers"


def test_a_trigger_encoded_before_the_stage_times_still_decodes():
    # Written by encode_trigger of the build before routed/evaluated times existed.
    data = json.loads((FIXTURES / "open_before_stage_times.json").read_text())
    assert "routed_time" not in data
    old = decode_trigger(data)
    assert (old.status, old.value, old.received_time) == ("OPEN", 90.0, T0 + 1)
    assert (old.routed_time, old.evaluated_time) == (None, None)
    again = encode_trigger(old)  # what it said, plus the fields added since, unknown
    assert {name: again[name] for name in data} == data
    assert (again["routed_time"], again["evaluated_time"]) == (None, None)


def test_stage_times_travel_through_the_codec():
    trigger = replace(opened(), routed_time=T0 + 5, evaluated_time=T0 + 7)
    again = decode_trigger(json.loads(json.dumps(encode_trigger(trigger))))
    assert (again.received_time, again.routed_time, again.evaluated_time) == (
        T0 + 1,
        T0 + 5,
        T0 + 7,
    )
