"""Flap damping with an explicit clock: a window that opens and cancels more than N
times in M is told once as flapping, then once more when it has been stable for M."""

from __future__ import annotations

import json

import pytest

from rules.contract.triggers import (
    ALERT_HISTORY_ACTION,
    FLAP_ENDED,
    FLAP_NONE,
    FLAP_ONGOING,
    FLAP_STARTED,
    REASON_FLAP_STABLE,
    decode_trigger,
    encode_trigger,
)
from rules.engine.actions import ActionSettings
from rules.engine.definition import RuleDefinition
from rules.engine.engine import Engine
from rules.engine.flapping import FlapSettings, FlapState
from rules.engine.status import CANCEL, OPEN, REPEAT
from rules.events import Event

pytestmark = pytest.mark.usefixtures("both_paths")

MINUTE = 60_000
T0 = 1_700_000_000_000
WEB = "web:hc"
SETTINGS = FlapSettings(changes=2, period_ms=10 * MINUTE)


class ValueAbove:
    """``value > 50`` without the expression package: the engine alone is under test."""

    def evaluate(self, ctx):
        return ctx.lookup("value") > 50


def flapping_rule(**kw):
    base = {
        "name": "flappy",
        "metric": "temperature",
        "expression": "value > 50",
        "window": "length(1)",
        "actions": (ActionSettings(ALERT_HISTORY_ACTION), ActionSettings(WEB)),
        "flap": SETTINGS,
    }
    base.update(kw)
    return RuleDefinition(**base)


def engine_with(definition):
    engine = Engine(lambda text, kind: ValueAbove())
    engine.install(definition)
    return engine


def sample(engine, value, now):
    event = Event("series", "e1", "temperature", {}, now, now, value)
    return engine.process(event, now)


def fired(trigger):
    return WEB in trigger.fired()


def flap(engine, start, cycles):
    """``cycles`` OPEN→CANCEL pairs a minute apart; returns every trigger."""
    out = []
    for i in range(cycles):
        out += sample(engine, 60, start + (2 * i) * MINUTE)
        out += sample(engine, 10, start + (2 * i + 1) * MINUTE)
    return out


def test_more_than_n_cancels_in_the_period_is_flapping():
    state = FlapState()
    marks = [state.observe(SETTINGS, status, T0 + i * MINUTE) for i, status in enumerate(
        [OPEN, CANCEL, OPEN, CANCEL, OPEN, CANCEL, OPEN]
    )]  # fmt: skip
    assert marks == [FLAP_NONE] * 5 + [FLAP_STARTED, FLAP_ONGOING]


def test_cancels_older_than_the_period_do_not_count():
    state = FlapState()
    for minute in (0, 11, 22, 33):
        assert state.observe(SETTINGS, CANCEL, T0 + minute * MINUTE) == FLAP_NONE
    assert not state.flapping


def test_stable_means_no_open_or_cancel_for_the_period():
    state = FlapState()
    for minute in (0, 1, 2):
        state.observe(SETTINGS, CANCEL, T0 + minute * MINUTE)
    state.observe(SETTINGS, OPEN, T0 + 5 * MINUTE)
    state.observe(SETTINGS, REPEAT, T0 + 9 * MINUTE)  # a repeat is no change
    assert state.stable_at(SETTINGS) == T0 + 15 * MINUTE
    assert not state.settle(SETTINGS, T0 + 15 * MINUTE - 1)
    assert state.settle(SETTINGS, T0 + 15 * MINUTE)
    assert not state.flapping
    assert state.stable_at(SETTINGS) is None


def test_settings_refuse_nonsense():
    with pytest.raises(ValueError, match="changes"):
        FlapSettings(changes=0, period_ms=MINUTE)
    with pytest.raises(ValueError, match="period"):
        FlapSettings(changes=3, period_ms=0)


def test_a_flapping_window_sends_one_flapping_message_instead_of_each_change():
    engine = engine_with(flapping_rule())
    triggers = flap(engine, T0, 5)
    assert [t.status for t in triggers] == [OPEN, CANCEL] * 5  # the store still sees each
    told = [(t.status, t.flapping) for t in triggers if fired(t)]
    assert told == [(OPEN, ""), (CANCEL, "")] * 2 + [(OPEN, ""), (CANCEL, FLAP_STARTED)]
    assert all(t.flapping == FLAP_ONGOING for t in triggers[6:])
    # alert history records every change, marked
    assert all(ALERT_HISTORY_ACTION in t.fired() for t in triggers)
    started = triggers[5]
    assert (started.flap_changes, started.flap_period_ms) == (2, 10 * MINUTE)


def test_one_stable_message_with_the_current_state_after_the_period():
    engine = engine_with(flapping_rule())
    triggers = flap(engine, T0, 4)
    triggers += sample(engine, 60, T0 + 8 * MINUTE)  # OPEN, the last change
    triggers += sample(engine, 70, T0 + 9 * MINUTE)  # REPEAT: no change, still quiet
    assert not any(fired(t) for t in triggers[6:])
    last_change = T0 + 8 * MINUTE
    assert engine.next_tick_ms() == last_change + 10 * MINUTE
    assert engine.tick(last_change + 10 * MINUTE - 1) == []
    [stable] = engine.tick(last_change + 10 * MINUTE)
    assert (stable.status, stable.flapping, stable.reason) == (
        REPEAT,
        FLAP_ENDED,
        REASON_FLAP_STABLE,
    )
    assert fired(stable)
    assert ALERT_HISTORY_ACTION in stable.fired()
    assert engine.tick(last_change + 20 * MINUTE) == []  # told once
    assert engine.next_tick_ms() is None
    # Damping is over: the next changes are told one by one again.
    after = sample(engine, 10, last_change + 21 * MINUTE)
    assert [(t.status, t.flapping, fired(t)) for t in after] == [(CANCEL, FLAP_NONE, True)]


def test_the_stable_message_of_a_cancelled_window_says_cancel():
    engine = engine_with(flapping_rule())
    flap(engine, T0, 3)  # ends on a CANCEL at minute 5
    [stable] = engine.tick(T0 + 15 * MINUTE)
    assert (stable.status, stable.flapping, fired(stable)) == (CANCEL, FLAP_ENDED, True)


def test_without_the_setting_nothing_is_damped():
    engine = engine_with(flapping_rule(flap=None))
    triggers = flap(engine, T0, 5)
    assert all(fired(t) and t.flapping == FLAP_NONE for t in triggers)
    assert engine.next_tick_ms() is None


def test_actions_that_are_not_messages_keep_their_decisions():
    derived = ActionSettings("derived")
    engine = engine_with(flapping_rule(actions=(ActionSettings(WEB), derived)))
    triggers = flap(engine, T0, 5)
    assert all("derived" in t.fired() for t in triggers)


def test_flap_state_survives_a_snapshot_and_restore():
    live = engine_with(flapping_rule())
    flap(live, T0, 3)
    data = json.loads(json.dumps(live.snapshot(), allow_nan=False))
    restored = engine_with(flapping_rule())
    restored.restore(data)
    # still flapping after the restart: the next change is quiet, the stable one is told
    [quiet] = sample(restored, 60, T0 + 6 * MINUTE)
    assert (quiet.flapping, fired(quiet)) == (FLAP_ONGOING, False)
    [stable] = restored.tick(T0 + 16 * MINUTE)
    assert stable.flapping == FLAP_ENDED


def test_changing_the_flap_setting_keeps_the_windows():
    engine = engine_with(flapping_rule(flap=None))
    sample(engine, 60, T0)
    assert engine.install(flapping_rule(), T0 + 1) == []
    [cancel] = sample(engine, 10, T0 + MINUTE)
    assert cancel.status == CANCEL


def test_the_flap_marking_round_trips_through_the_trigger_codec():
    engine = engine_with(flapping_rule())
    started = flap(engine, T0, 3)[5]
    data = json.loads(json.dumps(encode_trigger(started)))
    assert decode_trigger(data).flapping == FLAP_STARTED
    del data["flapping"], data["flap_changes"], data["flap_period_ms"]  # written before
    assert decode_trigger(data).flapping == FLAP_NONE
