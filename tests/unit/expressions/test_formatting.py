"""Formatting (spec §5.3), table rounding (§6) and durations (§5.4)."""

import math

import pytest

from rules.expressions.datetime_value import DateTime
from rules.expressions.formatting import (
    format_duration,
    format_duration_interval,
    format_value,
    round_significant,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (75.0, "75"),
        (75, "75"),
        (0.1 + 0.2, "0.30000000000000004"),
        (22.7, "22.7"),
        (1e-4, "0.0001"),
        (1e-5, "1e-05"),
        (123456789012345.0, "123456789012345"),
        (1e15, "1000000000000000.0"),
        (-2.5, "-2.5"),
        (math.nan, "NaN"),
        (math.inf, "Infinity"),
        (0.0, "0"),
        (None, ""),
        (True, "true"),
        ("text", "text"),
    ],
)
def test_format_value_scalars(value, text):
    assert format_value(value) == text


def test_maps_print_sorted_in_legacy_form():
    tags = {"mount_point": "/", "file_system": "/dev/sda1"}
    assert format_value(tags) == "{file_system=/dev/sda1, mount_point=/}"
    assert format_value({}) == "{}"


def test_maps_print_in_modern_form_on_request():
    assert format_value({"b": 2, "a": 1.0}, map_format="modern") == "[a: 1, b: 2]"


def test_lists_print_bracketed():
    assert format_value(["a", 1.5, None]) == "[a, 1.5, null]"


def test_datetime_prints_like_java():
    assert format_value(DateTime(1534518796946, "Etc/UTC")) == "2018-08-17T15:13:16.946Z[Etc/UTC]"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (22.72808635185156, "22.728"),
        (3.7506577522710387, "3.7507"),
        (14.570, "14.57"),
        (26.0, "26"),
        (0.00012502192, "1.2502e-4"),
        (-189220000.5, "-1.8922e8"),
        (12345678.9, "1.2346e7"),
        (66.7581, "66.758"),
        (1, "1"),
        (0.001, "0.001"),
        (9999.96, "10000"),
        (math.nan, "NaN"),
    ],
)
def test_round_significant(value, text):
    assert round_significant(value) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(105, "00:00:01:45"), (312, "00:00:05:12"), (90061, "01:01:01:01"), (0, "00:00:00:00")],
)
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (105, "1m:45s"),
        (60, "1m:0s"),
        (4139, "1h:8m:59s"),
        (45, "45s"),
        (90061, "1d:1h:1m:1s"),
        (180, "3m:0s"),
        (0, "0s"),
    ],
)
def test_format_duration_interval(seconds, text):
    assert format_duration_interval(seconds) == text
