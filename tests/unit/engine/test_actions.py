"""Repeat strategies and Delay on OPEN as decisions (spec §3.6, §3.8; §9 rows 11-14)."""

from __future__ import annotations

from rules.engine.actions import (
    INITIAL,
    ActionSettings,
    Decision,
    RepeatStrategy,
    decide,
    decide_delayed_open,
)
from rules.engine.status import CANCEL, OPEN, REPEAT

MINUTE = 60_000
T0 = 1_700_000_000_000  # an episode opening at "12:00"


def _run(settings, evaluations):
    """Feed (status, repeat_count, now) evaluations; return the times of sends."""
    state = INITIAL
    sent = []
    for status, repeat_count, now in evaluations:
        out = decide(settings, state, status, repeat_count, now, episode=T0)
        state = out.state
        if out.decision is Decision.FIRE:
            sent.append((status, repeat_count, now))
    return sent, state


def test_count_3_over_seven_true_evaluations_fires_at_1st_4th_7th():
    evals = [(OPEN, 0, T0)] + [(REPEAT, i, T0 + i) for i in range(1, 7)]
    sent, _ = _run(ActionSettings("hc", strategy=RepeatStrategy.parse("COUNT", 3)), evals)
    assert [rc for _, rc, _ in sent] == [0, 3, 6]


def test_count_2_sends_every_other_repeat():
    evals = [(OPEN, 0, T0)] + [(REPEAT, i, T0 + i) for i in range(1, 5)]
    sent, _ = _run(ActionSettings("hc", strategy=RepeatStrategy("COUNT", count=2)), evals)
    assert [rc for _, rc, _ in sent] == [0, 2, 4]


def test_interval_5_minute_with_one_event_per_minute_sends_at_00_05_10():
    evals = [(OPEN, 0, T0)] + [(REPEAT, i, T0 + i * MINUTE) for i in range(1, 11)]
    strategy = RepeatStrategy.parse("INTERVAL", 5, "MINUTE")
    sent, _ = _run(ActionSettings("hc", strategy=strategy), evals)
    assert [(now - T0) // MINUTE for _, _, now in sent] == [0, 5, 10]


def test_all_sends_every_repeat_and_none_only_open_and_cancel():
    evals = [(OPEN, 0, T0), (REPEAT, 1, T0 + 1), (REPEAT, 2, T0 + 2), (CANCEL, 2, T0 + 3)]
    sent_all, _ = _run(ActionSettings("a"), evals)
    sent_none, _ = _run(ActionSettings("a", strategy=RepeatStrategy("NONE")), evals)
    assert [s for s, _, _ in sent_all] == [OPEN, REPEAT, REPEAT, CANCEL]
    assert [s for s, _, _ in sent_none] == [OPEN, CANCEL]


def test_disabled_triggers_do_not_fire():
    settings = ActionSettings("a", on_open=False, on_repeat=False, on_cancel=False)
    sent, _ = _run(settings, [(OPEN, 0, T0), (REPEAT, 1, T0 + 1), (CANCEL, 1, T0 + 2)])
    assert sent == []


def test_delay_open_then_cancel_within_the_delay_sends_nothing():
    settings = ActionSettings("hc", delay_ms=MINUTE)
    opened = decide(settings, INITIAL, OPEN, 0, T0, episode=T0)
    assert opened.decision is Decision.SCHEDULE
    assert opened.countdown_ms == MINUTE
    cancelled = decide(settings, opened.state, CANCEL, 0, T0 + 30_000, episode=T0)
    assert cancelled.decision is Decision.SUPPRESS
    late = decide_delayed_open(cancelled.state, CANCEL, T0, T0, T0 + MINUTE)
    assert late.decision is Decision.SUPPRESS


def test_delay_with_repeats_sends_one_open_when_the_countdown_expires():
    settings = ActionSettings("hc", delay_ms=MINUTE)
    state = decide(settings, INITIAL, OPEN, 0, T0, episode=T0).state
    for rc, now in ((1, T0 + 20_000), (2, T0 + 40_000)):
        out = decide(settings, state, REPEAT, rc, now, episode=T0)
        assert out.decision is Decision.SUPPRESS  # repeats wait for the delayed OPEN
        state = out.state
    due = decide_delayed_open(state, REPEAT, T0, T0, T0 + MINUTE)
    assert due.decision is Decision.FIRE
    assert due.state.open_sent
    assert due.state.last_fired_ms == T0 + MINUTE
    # After the OPEN went out, repeats and the cancel follow the strategy again.
    assert decide(settings, due.state, REPEAT, 3, T0 + 70_000, T0).decision is Decision.FIRE
    assert decide(settings, due.state, CANCEL, 3, T0 + 80_000, T0).decision is Decision.FIRE


def test_a_delayed_open_of_an_old_episode_is_dropped():
    settings = ActionSettings("hc", delay_ms=MINUTE)
    first = decide(settings, INITIAL, OPEN, 0, T0, episode=T0).state
    second = decide(settings, first, OPEN, 0, T0 + 10, episode=T0 + 10).state
    stale = decide_delayed_open(second, OPEN, T0 + 10, T0, T0 + MINUTE)
    assert stale.decision is Decision.SUPPRESS
    assert decide_delayed_open(second, OPEN, T0 + 10, T0 + 10, T0 + MINUTE).decision is (
        Decision.FIRE
    )
