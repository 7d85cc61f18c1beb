"""One test per rule of spec §4.3."""

import math

import pytest

from rules.expressions.errors import EvaluationError
from rules.expressions.values import EntityValue

from .helpers import ev


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("'ABC' = 'abc'", True),
        ("'ABC' == 'abc'", True),
        ("'ABC' != 'abc'", False),
        ("1 = 1.0", True),
        ("5 = '5'", True),
        ("'5.0' == 5", True),
        ("5 = 'five'", False),
        ("'1e1' = 10", True),
        ("true == true", True),
        ("true == 'TRUE'", True),
        ("true == 1", False),
        ("[1, 'a'] == [1, 'A']", True),
    ],
)
def test_equality(text, expected):
    assert ev(text) is expected


def test_nan_equals_nothing():
    assert ev("x == x", {"x": math.nan}) is False
    assert ev("x != x", {"x": math.nan}) is True


def test_missing_fields_are_null():
    assert ev("tags.t3 == null", {"tags": {}}) is True
    assert ev("entity == null") is True
    assert ev("x.y.z == null", {"x": {"y": None}}) is True


def test_null_acts_as_empty_string_against_strings():
    assert ev("tags.t3 != ''", {"tags": {}}) is False
    assert ev("tags.t3 = ''", {"tags": {}}) is True
    assert ev("tags.t3 LIKE '*'", {"tags": {}}) is True
    assert ev("tags.t3 == 0", {"tags": {}}) is False


@pytest.mark.parametrize(
    "text",
    ["x > 1", "x < 1", "x >= 1", "x <= 1", "1 < x", "x BETWEEN 0 AND 2"],
)
@pytest.mark.parametrize("x", [None, math.nan])
def test_ordering_with_null_or_nan_is_false(text, x):
    assert ev(text, {"x": x}) is False


def test_ordering_numbers_and_numeric_strings():
    assert ev("value > '10'", {"value": 11}) is True
    assert ev("'9' < '10'") is False  # strings are lexicographic


def test_ordering_number_with_text_is_an_error():
    with pytest.raises(EvaluationError):
        ev("1 < 'abc'")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("'nurswgvml007' LIKE 'nurs*'", True),
        ("'nurswgvml007' LIKE 'nurs'", False),
        ("'abc' LIKE 'a?c'", True),
        ("'abc' LIKE 'A*'", False),  # case-sensitive
        ("'abc' NOT LIKE 'x*'", True),
        ("'abc' LIKE ['x*', 'a*']", True),
        ("'abc' LIKE ('x*', 'y*')", False),
        ("'a.c' LIKE 'a.c'", True),
        ("'abc' LIKE 'a.c'", False),  # regex characters are literal
        ("12 LIKE '1*'", True),
    ],
)
def test_like(text, expected):
    assert ev(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("'a' IN ('a', 'b')", True),
        ("'A' IN ('a', 'b')", False),  # exact for strings
        ("2 IN (1, 2.0)", True),
        ("2 IN ('2', 3)", True),
        ("'c' NOT IN ['a', 'b']", True),
        ("x IN (lst)", True),
        ("null IN ('a')", False),
    ],
)
def test_in(text, expected):
    assert ev(text, {"x": "b", "lst": ["a", "b"]}) is expected


def test_in_needs_a_list():
    with pytest.raises(EvaluationError, match="IN needs a list"):
        ev("'a' IN 'abc'")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5 BETWEEN 1 AND 5", True),
        ("1 BETWEEN 1 AND 5", True),
        ("6 BETWEEN 1 AND 5", False),
        ("6 NOT BETWEEN 1 AND 5", True),
        ("'10:00' BETWEEN '09:45' AND '17:45'", True),
        ("'B' BETWEEN 'a' AND 'z'", False),  # lexicographic, case-sensitive
    ],
)
def test_between(text, expected):
    assert ev(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7 / 2", 3.5),
        ("7 % 3", 1),
        ("-7 % 3", -1),
        ("7.5 % 2", 1.5),
        ("2 * 3 + 1", 7),
        ("100 - value", 75),
        ("'5' * 2", 10.0),
        ("-value", -25),
    ],
)
def test_arithmetic(text, expected):
    assert ev(text, {"value": 25}) == expected


def test_division_by_zero_follows_java_doubles():
    assert ev("1 / 0") == math.inf
    assert ev("-1 / 0") == -math.inf
    assert math.isnan(ev("0 / 0"))
    assert math.isnan(ev("1 % 0"))


def test_nan_propagates():
    assert math.isnan(ev("x * 2 + 1", {"x": math.nan}))


def test_plus_joins_strings():
    assert ev("'v=' + value", {"value": 25.0}) == "v=25"
    assert ev("value + ' %'", {"value": 0.5}) == "0.5 %"
    assert ev("'a' + null") == "a"
    assert ev("1 + 2 + 'x'") == "3x"
    assert ev("'x' + 1 + 2") == "x12"


def test_arithmetic_with_text_is_an_error():
    with pytest.raises(EvaluationError, match="must be a number"):
        ev("'a' - 1")
    with pytest.raises(EvaluationError, match="null operand"):
        ev("x + 1")


@pytest.mark.parametrize("text", ["!1", "1 && true", "true && 'x'", "0 || false", "1 ? 2 : 3"])
def test_boolean_operands_are_required(text):
    with pytest.raises(EvaluationError, match="must be boolean"):
        ev(text)


def test_short_circuit_skips_the_right_side():
    # The right side would raise: 'x' is not boolean, and value('missing') errors.
    assert ev("false && 'x'") is False
    assert ev("true || value('missing')") is True
    assert ev("true ? 1 : value('missing')") == 1


def test_and_or_keywords():
    assert ev("true AND NOT false") is True
    assert ev("false or true") is True


def test_entity_compares_and_prints_as_its_name():
    names = {"entity": EntityValue("br-1905", label="Br 1905", tags={"app": "ATSD"})}
    assert ev("entity == 'BR-1905'", names) is True
    assert ev("entity.label", names) == "Br 1905"
    assert ev("entity.displayName", names) == "Br 1905"
    assert ev("entity.tags.app", names) == "ATSD"
    assert ev("entity.tags.missing", names) is None
    assert ev("'e=' + entity", names) == "e=br-1905"
    assert ev("entity LIKE 'br-*'", names) is True


def test_tags_map_access():
    names = {"tags": {"mount-point": "/", "docker-host": "h1", "event.user": "joe"}}
    assert ev("tags['mount-point']", names) == "/"
    assert ev("tags.docker-host", names) == "h1"
    assert ev("tags.event.user", names) == "joe"
    assert ev("tags.size()", names) == 3
    assert ev("tags.keySet()", names) == ["docker-host", "event.user", "mount-point"]
    assert ev("tags.event.user.toUpperCase()", names) == "JOE"


def test_collection_and_string_methods():
    assert ev("[1, 2].size()") == 2
    assert ev("[].isEmpty()") is True
    assert ev("['a', 'b'].contains('b')") is True
    assert ev("['a', 'b'].get(1)") == "b"
    assert ev("['a', 'b'][0]") == "a"
    assert ev("['k': 1].keySet()") == ["k"]
    assert ev("'abc'.length()") == 3
    assert ev("'abc'.startsWith('a') && 'abc'.endsWith('c')") is True
    assert ev("'abc'.contains('b')") is True
    assert ev("'abc'.equals('abc')") is True
    assert ev("' x '.trim()") == "x"
    assert ev("'AbC'.toLowerCase() + 'AbC'.toUpperCase()") == "abcABC"
    assert ev(r"'a1b22'.replaceAll('\\d+', '#')") == "a#b#"
    assert ev("'a,b,,'.split(',')") == ["a", "b"]


def test_static_java_helpers():
    assert ev("Double.isNaN(x)", {"x": math.nan}) is True
    assert ev("Math.round(2.5)") == 3
    assert ev("Math.abs(-2)") == 2
    assert ev("Math.floor(2.7)") == 2
    assert ev("Math.ceil(2.1)") == 3


def test_index_out_of_range_is_an_evaluation_error():
    with pytest.raises(EvaluationError, match="out of range"):
        ev("[1][3]")


def test_method_on_null_is_an_evaluation_error():
    with pytest.raises(EvaluationError, match="on null"):
        ev("tags.x.toUpperCase()", {"tags": {}})
