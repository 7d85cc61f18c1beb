"""Window checkpoint records: a window read back from its record carries on as the
original would."""

from __future__ import annotations

import math

from rules.contract.triggers import encode_trigger
from rules.engine.actions import ActionSettings
from rules.engine.definition import RuleDefinition
from rules.engine.engine import Engine
from rules.engine.flapping import FlapSettings
from rules.engine.window_codec import decode_window, encode_window, window_field
from rules.events import Event

T = 1_700_000_000_000


def series(entity: str, value: float, t: int, tags: dict | None = None) -> Event:
    return Event("series", entity, "temperature", tags or {}, t, t, value,
                 line_values={"temperature": value})  # fmt: skip


def engine() -> Engine:
    out = Engine()
    out.install(RuleDefinition(name="hot", metric="temperature", expression="avg() > 50",
                               window="length(3)", actions=(ActionSettings("hc"),),
                               flap=FlapSettings(1, 60_000)))  # fmt: skip
    out.install(RuleDefinition(name="slow", metric="temperature", expression="max() > 90",
                               window="time(1 minute)", check_on_exit=True))  # fmt: skip
    return out


def test_a_window_read_back_from_its_record_carries_on_as_the_original():
    live = engine()
    for event in (
        series("e1", 55, T, {"k": "v"}),
        series("e2", math.nan, T + 10),
        series("e1", 60, T - 5, {"k": "v"}),  # late
        series("e3", 95, T + 20),
        series("e3", -1.5, T + 30),
        series("e4", 99, T + 31),
        series("e4", 0, T + 32),
        series("e4", 0, T + 33),
        series("e4", 0, T + 34),  # e4 opened and cancelled: its flap state is kept
    ):
        live.process(event, event.time_ms)
    restored = engine()
    for name, runtime in live.rules.items():
        for wr in runtime.windows.values():
            decode_window(restored.rules[name], window_field(wr), encode_window(wr))
    assert live.rules["hot"].windows["e4"].state.flap is not None
    for name, runtime in live.rules.items():
        for key, wr in runtime.windows.items():
            again = restored.rules[name].windows[key]
            assert again.key == wr.key
            assert repr(again.window.samples()) == repr(wr.window.samples())
            assert again.window.max_time == wr.window.max_time
            assert repr(again.state.to_dict()) == repr(wr.state.to_dict())
    later = [
        series("e1", 10, T + 40, {"k": "v"}),
        series("e2", 99, T + 50),
        series("e3", 1, T + 60),
    ]
    for event in later:
        assert [encode_trigger(t) for t in live.process(event, event.time_ms)] == [
            encode_trigger(t) for t in restored.process(event, event.time_ms)
        ]
    end = T + 200_000
    assert [encode_trigger(t) for t in live.tick(end)] == [
        encode_trigger(t) for t in restored.tick(end)
    ]
