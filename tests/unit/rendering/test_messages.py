"""Notification texts from fixture files: trigger + template + format in, message out
(spec §5, §9 rows 4-6, 8, 9, 18-20, 23, 32)."""

from __future__ import annotations

from typing import Any

import pytest

from notifications.rendering import FIELD_NAMES, TriggerScope, render, render_message
from tests.unit.rendering.fixtures import info, load_json, trigger

MESSAGES = load_json("messages.json")
FIELDS = load_json("fields.json")


def _render_case(case: dict[str, Any]) -> Any:
    trig = trigger(case["trigger"], case.get("trigger_overrides"))
    settings = info({**MESSAGES["default_info"], **case.get("info", {})})
    now_ms = case.get("now_ms", trig.now_ms)
    if case.get("trim", True):
        return render_message(
            case["template"], trig, settings, now_ms=now_ms, message_format=case["format"]
        )
    scope = TriggerScope(trig, settings, now_ms=now_ms)
    return render(case["template"], scope, html_escape=case["format"] == "html", trim=False)


@pytest.mark.parametrize("case", MESSAGES["cases"], ids=[c["name"] for c in MESSAGES["cases"]])
def test_message_fixture(case: dict[str, Any]) -> None:
    result = _render_case(case)
    assert result.text == case["expected"]
    assert len(result.errors) == case.get("errors", 0), result.errors
    assert result.cancelled == case.get("cancelled", False)


def _field_cases() -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for group in FIELDS["groups"]:
        for field, expected in group["expect"].items():
            out.append((field, expected, group))
    return out


@pytest.mark.parametrize(
    ("field", "expected", "group"),
    _field_cases(),
    ids=[f"{g['trigger']}:{f}" for f, _, g in _field_cases()],
)
def test_field_renders(field: str, expected: str, group: dict[str, Any]) -> None:
    trig = trigger(group["trigger"], group.get("trigger_overrides"))
    scope = TriggerScope(trig, info(group["info"]), now_ms=trig.now_ms)
    result = render("${" + field + "}", scope, html_escape=False)
    assert result.errors == []
    assert result.text == expected


def test_every_spec_field_is_covered_by_the_fixtures() -> None:
    covered = {field.split(".")[0].split("[")[0] for field, _, _ in _field_cases()}
    assert FIELD_NAMES - covered == set()


def test_placeholder_errors_name_the_expression_and_position() -> None:
    trig = trigger("walkthrough_open")
    scope = TriggerScope(trig, info(), now_ms=trig.now_ms)
    result = render("${foo} x ${round(}", scope)
    [error] = result.errors
    assert error.expression == "round("
    assert error.position == 9
    assert "line 1" in error.message


def test_nested_braces_are_one_placeholder() -> None:
    trig = trigger("walkthrough_open")
    result = render("a ${x{y}} b", TriggerScope(trig, info(), now_ms=trig.now_ms))
    assert [e.expression for e in result.errors] == ["x{y}"]


def test_cancel_action_in_a_loop_cancels_the_whole_text() -> None:
    trig = trigger("walkthrough_open")
    scope = TriggerScope(trig, info(), now_ms=trig.now_ms)
    result = render("before @foreach{i : [1, 2]}${i == 2 ? cancelAction() : i}@end{}", scope)
    assert result.cancelled
    assert result.text == ""


def test_templates_are_parsed_once() -> None:
    from notifications.rendering.template import parse_template

    text = "[${status}] parsed once ${entity}"
    assert parse_template(text) is parse_template(text)


def test_render_message_rejects_unknown_formats() -> None:
    trig = trigger("walkthrough_open")
    with pytest.raises(ValueError, match="message format"):
        render_message("x", trig, info(), now_ms=trig.now_ms, message_format="rtf")


def test_arbitrary_templates_never_raise() -> None:
    """Whatever an author types, rendering returns a result (errors are data, not raises)."""
    import random

    pieces = ["${", "}", "{", "$${", "@if{", "@else{", "@end{}", "@foreach{", "@{", "'", '"',
              "\\", "value", " > 1", "entity", ":", "text ", "\n", "[", "]", "(", ")"]  # fmt: skip
    rng = random.Random(20180222)
    trig = trigger("walkthrough_open")
    scope = TriggerScope(trig, info(), now_ms=trig.now_ms)
    for _ in range(2000):
        template = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        for html_escape in (False, True):
            result = render(template, scope, html_escape=html_escape)
            assert isinstance(result.text, str)
