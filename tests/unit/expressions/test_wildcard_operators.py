"""LIKE, likeAny and matches on hostile patterns, and the pattern length limit (§4.2).

Before, each ``*`` became ``.*`` in a backtracking regex: ``'*.*.*prod*'`` against a
4,000-character name took 9 s per sample and stalled the partition. The inputs here are
far larger; the timeout marker fails a relapse, the assertions check the answers.
"""

from __future__ import annotations

import pytest

from rules.expressions.compiler import compile_expression
from rules.expressions.errors import EvaluationError, ExpressionError

from .helpers import ev

LONG_DOTS = "." * 16_000


@pytest.mark.timeout(20)
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name LIKE '*.*.*prod*'", False),
        ("name NOT LIKE '*.*.*prod*'", True),
        ("name LIKE ('*.*.*prod*')", False),
        ("name LIKE ['x*', '**********#', '*.*.*prod*']", False),
        ("name + 'prod' LIKE '*.*.*prod*'", True),
        ("name LIKE pattern", False),  # a pattern known only when the rule runs
        ("likeAny(name, ['*.*.*prod*', '**********#'])", False),
        ("matches('*.*.*prod*', [name, name + '#'])", False),
        ("matches('**********#', [name, name + '#'])", True),
    ],
)
def test_like_bomb_on_a_long_name_cannot_stall_a_partition(text, expected):
    assert ev(text, {"name": LONG_DOTS, "pattern": "*.*.*prod*"}) is expected


@pytest.fixture
def limit_10(pattern_limit):
    pattern_limit(10)


@pytest.mark.parametrize(
    "text",
    [
        "entity LIKE 'abcdefghijk*'",
        "entity NOT LIKE ['a*', 'abcdefghijk*']",
        "likeAny(entity, ['a', 'abcdefghijk*'])",
        "matches('abcdefghijk*', tags)",
    ],
)
def test_a_literal_pattern_over_the_limit_is_an_error_at_its_position(limit_10, text):
    with pytest.raises(ExpressionError, match="the limit is 10") as caught:
        compile_expression(text, "condition")
    assert caught.value.column == text.index("'abcdefghijk*'") + 1


def test_a_pattern_over_the_limit_met_at_run_time_is_an_evaluation_error(limit_10):
    with pytest.raises(EvaluationError, match=r"LIKE pattern .* the limit is 10"):
        ev("name LIKE pattern", {"name": "x", "pattern": "abcdefghijk*"})
