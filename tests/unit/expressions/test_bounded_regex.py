"""User regular expressions cannot stall a partition: a catastrophic pattern is a rule error."""

import pytest

from rules.expressions.errors import EvaluationError

from .helpers import ev

# (a|aa)+$ against a run of a's followed by a mismatch tries every way of cutting the run
# into ones and twos: Fibonacci(40), about 10^8 paths.
EVIL = "'(a|aa)+$'"
TEXT = "a" * 40 + "!"


@pytest.mark.parametrize(
    "call",
    [
        f"text.matches({EVIL})",
        f"text.replaceAll({EVIL}, 'x')",
        f"text.replaceFirst({EVIL}, 'x')",
        f"text.split({EVIL})",
    ],
)
def test_a_catastrophic_pattern_is_a_rule_error_naming_it(call):
    with pytest.raises(EvaluationError, match=r"regular expression '\(a\|aa\)\+\$' took longer"):
        ev(call, {"text": TEXT})


def test_ordinary_patterns_keep_java_semantics():
    assert ev("'host-01'.matches('host-\\\\d+')") is True
    assert ev("'host-01x'.matches('host-\\\\d+')") is False
    assert ev("'a1b22'.replaceFirst('(\\\\d)', '<$1>')") == "a<1>b22"
    assert ev("'a,b,,'.split(',')") == ["a", "b"]


def test_possessive_quantifiers_of_java_are_understood():
    assert ev("'aaa'.matches('a*+')") is True


def test_a_bad_pattern_is_a_rule_error_naming_it():
    with pytest.raises(EvaluationError, match=r"bad regular expression '\('"):
        ev("'x'.matches('(')")
