"""DateFormatter, NumberFormatter, IntervalFormatter, formatPrecision, check_range and
printObject (spec §4.6 SHOULD; numbers as §6 rounds them)."""

from __future__ import annotations

import pytest

from rules.expressions.errors import EvaluationError
from rules.expressions.values import EntityValue, Record
from tests.unit.expressions.helpers import ev

T = 1_515_511_420_000  # 2018-01-09T15:23:40Z


def test_date_formatter_formats_with_its_pattern_and_zone():
    assert ev("DateFormatter('yyyy-MM-dd HH:mm:ss').format(t)", {"t": T}) == "2018-01-09 15:23:40"
    text = "DateFormatter('yyyy-MM-dd HH:mm z', 'Europe/Berlin').format(t)"
    assert ev(text, {"t": T}) == "2018-01-09 16:23 CET"
    assert ev("DateFormatter().format(t)", {"t": T}) == "2018-01-09T15:23:40.000Z"


def test_a_formatter_in_a_variable_is_reused():
    f = ev("NumberFormatter('#,##0.0')")
    assert ev("f.format(1234.56) + ' / ' + f.format(0.04)", {"f": f}) == "1,234.6 / 0.0"


def test_interval_formatter_long_and_short():
    ms = 75_142_035_000  # 2y 139d 16h 47m 15s (a year of 365 days)
    assert ev("IntervalFormatter().format(ms)", {"ms": ms}) == "2y 139d 16h 47m 15s"
    assert ev("IntervalFormatter(true).format(ms)", {"ms": ms}) == "2y 139d"
    assert ev("IntervalFormatter().format(500)") == "0s"


def test_a_formatter_has_only_format():
    with pytest.raises(EvaluationError, match="no method format"):
        ev("NumberFormatter('#').format(1, 2)")


def test_format_precision_rounds_as_the_details_table():
    assert ev("formatPrecision(x)", {"x": 22.72808635185156}) == "22.728"
    assert ev("formatPrecision(x)", {"x": 0.00012502192}) == "1.2502e-4"
    assert ev("formatPrecision(x)", {"x": -189220000.5}) == "-1.8922e8"
    assert ev("formatPrecision(26.0)") == "26"


def test_format_precision_takes_the_digits():
    assert ev("formatPrecision(3.14159, 3)") == "3.14"
    with pytest.raises(EvaluationError, match="digits must be within"):
        ev("formatPrecision(3.14159, 0)")


def test_check_range_includes_its_bounds():
    assert ev("check_range(5, 0, 10)") is True
    assert ev("check_range(0, 0, 10)") is True
    assert ev("check_range(10, 0, 10)") is True
    assert ev("check_range(10.5, 0, 10)") is False
    assert ev("check_range(-1, 0, 10)") is False
    assert ev("check_range(x, 0, 10)", {"x": float("nan")}) is False
    assert ev("check_range(x, 0, 10)", {"x": None}) is False
    assert ev("check_range(50, 0, null)") is True


def test_print_object_of_a_map_in_every_layout():
    obj = {"status": "OPEN", "value": 27.5}
    assert ev("printObject(o)", {"o": obj}) == (
        "+--------+-------+\n"
        "| Name   | Value |\n"
        "+--------+-------+\n"
        "| status | OPEN  |\n"
        "| value  | 27.5  |\n"
        "+--------+-------+"
    )
    assert ev("printObject(o, 'markdown')", {"o": obj}).splitlines()[:3] == [
        "| **Name** | **Value** |",
        "|:---|:---|",
        "| status | OPEN |",
    ]
    assert ev("printObject(o, 'property')", {"o": obj}) == "status=OPEN\nvalue=27.5"
    assert ev("printObject(o, 'csv')", {"o": obj}) == "Name,Value\nstatus,OPEN\nvalue,27.5"
    assert "<td" in ev("printObject(o, 'html')", {"o": obj})


def test_print_object_of_records_and_entities():
    record = Record(time=0, severity="UNDEFINED")
    assert ev("printObject(r, 'property')", {"r": record}) == "time=0\nseverity=UNDEFINED"
    entity = EntityValue("nurswgvml007", "NURSWGVML007", {"app": "ATSD"})
    assert ev("printObject(e, 'property')", {"e": entity}) == (
        "name=nurswgvml007\nlabel=NURSWGVML007\ndisplayName=NURSWGVML007\ntags={app=ATSD}"
    )
    assert ev("printObject(null)") == ""


def test_print_object_refuses_what_has_no_fields():
    with pytest.raises(EvaluationError, match="cannot print"):
        ev("printObject(5)")
    with pytest.raises(EvaluationError, match="unknown table format"):
        ev("printObject(o, 'xml')", {"o": {}})
