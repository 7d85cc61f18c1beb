"""Parameter templates are compiled at save time: syntax errors with positions, unknown
functions as warnings (design invariant 4; spec §5.1)."""

import pytest

from notifications.bindings.forms import check_template, order_keys


@pytest.mark.parametrize(
    "text",
    [
        "",
        "plain text",
        "[${status}] ${rule} for ${entity} ${tags}. ${ruleLink}",
        "Duration: ${alert_duration_interval}.",
        "${asciiDetailsTable}",
        "@if{value > 90}\nHIGH\n@else{}\nnormal\n@end{}",
        "@foreach{t : tags.keySet()}* @{t}\n@end{}",
        "literal $${not checked(",
        "${round(value, 1)} of ${entity.label}",
    ],
)
def test_valid_templates_have_no_errors(text):
    assert check_template(text).errors == ()


def test_a_syntax_error_names_the_placeholder_and_its_position():
    result = check_template("${foo} x ${round(}")
    assert len(result.errors) == 1
    error = result.errors[0]
    assert "${round(}" in error
    assert "line 1, column 18" in error


def test_positions_count_lines_of_the_whole_value():
    result = check_template("first line\n  ${1 +}")
    assert result.errors
    assert "line 2" in result.errors[0]


def test_unknown_functions_are_warnings_not_errors():
    result = check_template("${no_such_function(1)} ${value}")
    assert result.errors == ()
    assert len(result.warnings) == 1
    assert "no_such_function" in result.warnings[0]


def test_structure_errors_are_errors():
    assert check_template("${value").errors
    assert check_template("@if{true}x").errors
    assert check_template("@else{}x").errors
    assert check_template("${}").errors


def test_an_if_condition_is_checked_too():
    result = check_template("@if{value >}x@end{}")
    assert result.errors
    assert "@if{value >}" in result.errors[0]


def test_message_keys_come_first():
    assert order_keys(["room", "from", "message", "details_table_format", "room"]) == [
        "message",
        "room",
        "from",
    ]
