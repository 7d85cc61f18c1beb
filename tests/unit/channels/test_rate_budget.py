"""Rate budgets in Redis: spent before a request leaves, learned from the answers."""

from __future__ import annotations

import uuid

import pytest

from notifications.channels.rate_budget import Observed, Scope, observe, take

NOW = 1_700_000_000.0


@pytest.fixture
def room() -> Scope:
    return Scope(f"test:room:{uuid.uuid4().hex}", period_s=60.0)


@pytest.fixture
def token() -> Scope:
    return Scope(f"test:token:{uuid.uuid4().hex}", period_s=300.0)


def test_a_scope_no_answer_described_is_not_held_back(room: Scope) -> None:
    assert [take([room], NOW) for _ in range(100)] == [0.0] * 100


def test_the_announced_remaining_is_spent_then_held_until_the_reset(room: Scope) -> None:
    observe([Observed(room, limit=30, remaining=2, reset=NOW + 40)], NOW)

    assert take([room], NOW) == 0
    assert take([room], NOW + 1) == 0
    assert take([room], NOW + 2) == pytest.approx(38)


def test_a_new_window_allows_the_last_announced_limit(room: Scope) -> None:
    observe([Observed(room, limit=3, remaining=0, reset=NOW + 10)], NOW)

    spent = [take([room], NOW + 10 + i / 10) for i in range(4)]

    assert spent[:3] == [0, 0, 0]
    assert spent[3] == pytest.approx(60 - 0.3)


def test_nothing_is_spent_when_one_scope_is_empty(room: Scope, token: Scope) -> None:
    observe([Observed(room, 30, 0, NOW + 20), Observed(token, 500, 10, NOW + 200)], NOW)

    assert take([token, room], NOW) == pytest.approx(20)
    observe([Observed(room, 30, 30, NOW + 80)], NOW + 20)  # the room's next window
    assert take([token, room], NOW + 20) == 0
    for _ in range(9):
        take([token], NOW + 21)
    assert take([token], NOW + 21) == pytest.approx(179)  # ten in all: one was held


def test_requests_in_flight_count_until_the_service_has_seen_them(room: Scope) -> None:
    observe([Observed(room, limit=3, remaining=3, reset=NOW + 60)], NOW)
    take([room], NOW)
    take([room], NOW)

    observe([Observed(room, limit=3, remaining=2, reset=NOW + 60)], NOW + 1)  # the first

    assert take([room], NOW + 1) == 0
    assert take([room], NOW + 1) > 0


def test_an_answer_from_an_older_window_changes_nothing(room: Scope) -> None:
    observe([Observed(room, limit=3, remaining=0, reset=NOW + 120)], NOW + 60)

    observe([Observed(room, limit=3, remaining=3, reset=NOW + 60)], NOW + 61)

    assert take([room], NOW + 61) == pytest.approx(59)
