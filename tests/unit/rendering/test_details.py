"""Details tables (spec §6): rows and their order, sections, rounding, the five layouts,
legacy style, and detailsTable() inside templates (§9 row 21)."""

from __future__ import annotations

import math

import pytest

from notifications.rendering import (
    TriggerScope,
    details_rows,
    details_table,
    history_alert_text,
    render,
)
from notifications.rendering.links import Markup
from rules.expressions import EvaluationError
from tests.unit.rendering.fixtures import info, load_json, load_text, trigger

ROWS = load_json("tables/jvm_rows.json")
SERVER = "https://atsd.example.org:8443"


def _jvm():
    return trigger(ROWS["trigger"]), info(ROWS["info"])


def test_rows_in_spec_order_with_five_significant_digits() -> None:
    trig, settings = _jvm()
    rows = details_rows(trig, settings)
    assert [[r.name, r.value] for r in rows] == ROWS["rows"]


def test_only_entity_name_and_metric_carry_links() -> None:
    trig, settings = _jvm()
    links = {r.name: r.href for r in details_rows(trig, settings) if r.href}
    assert links == {
        "name": f"{SERVER}/entities/atsd",
        "metric": f"{SERVER}/metrics/metric.xhtml?metricName=jvm_memory_used_percent",
    }


def test_legacy_style_shows_the_2017_time_rows() -> None:
    trig, settings = _jvm()
    rows = details_rows(trig, settings, ["overview"], style="legacy")
    names = [r.name for r in rows]
    assert "command_time" not in names
    assert "open_time" not in names
    start = names.index("timezone") + 1
    got = [[r.name, r.value] for r in rows[start : start + 8]]
    assert got == ROWS["legacy_overview_times"]
    assert names[start + 8 : start + 10] == ["value", "status"]


@pytest.mark.parametrize("fmt", ["ascii", "markdown", "csv", "property", "html"])
def test_layout(fmt: str) -> None:
    trig, settings = _jvm()
    table = details_table(trig, settings, fmt, ["entity", "metric"], server_url=SERVER)
    assert table == load_text(f"tables/entity_metric.{fmt}.txt")


def test_sections_restrict_but_keep_the_spec_order() -> None:
    trig, settings = _jvm()
    rows = details_rows(trig, settings, ["variables", "metric"])
    assert [r.name for r in rows] == ["metric", "metric_label", "headroom", "label_text"]


def test_unknown_section_and_format_are_errors() -> None:
    trig, settings = _jvm()
    with pytest.raises(EvaluationError, match="section"):
        details_table(trig, settings, "ascii", ["bogus"])
    with pytest.raises(EvaluationError, match="format"):
        details_table(trig, settings, "yaml")


def test_row_21_one_sample_ascii_has_count_1_and_no_avg() -> None:
    trig = trigger("walkthrough_open")
    table = details_table(trig, info(server_url=SERVER), "ascii")
    assert table.startswith("+-")
    lines = table.splitlines()
    assert any(line.split("|")[1].strip() == "count" and line.split("|")[2].strip() == "1"
               for line in lines[3:-1])  # fmt: skip
    assert not any(line.startswith("| avg ") for line in lines)
    assert table == load_text("tables/walkthrough_open.ascii.txt")


def test_without_entity_grouping_the_entity_part_is_omitted() -> None:
    trig = trigger("walkthrough_open", {"window_entity": None})
    rows = details_rows(trig, info(entity_label="Bridge"), ["entity", "metric"])
    assert [r.name for r in rows] == ["metric"]


def test_empty_null_and_nan_rows_are_skipped() -> None:
    trig = trigger("walkthrough_open", {"value": None, "rule_filter": ""})
    names = [r.name for r in details_rows(trig, info(), ["overview"])]
    assert "value" not in names
    assert "rule_filter" not in names
    assert names[:5] == ["expression", "window", "severity", "alert_type", "timezone"]


def test_message_and_property_rules_add_their_rows() -> None:
    msg = details_rows(trigger("message_open"), info(), ["overview"])
    assert [[r.name, r.value] for r in msg[-3:]] == [
        ["type", "webhook"],
        ["source", "github"],
        ["message", "push"],
    ]
    assert "count" not in [r.name for r in details_rows(trigger("message_open"), info())]
    prop = details_rows(
        trigger("property_open"), info(properties={"hosts": "127.0.0.1"}), ["overview"]
    )
    assert [[r.name, r.value] for r in prop[-2:]] == [
        ["keys.file", "/etc/hosts"],
        ["properties.hosts", "127.0.0.1"],
    ]


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
    ],
)
def test_section_6_rounding_in_tables(value: float, text: str) -> None:
    trig = trigger("walkthrough_open", {"value": value, "variables": {"v": value}})
    rows = {r.name: r.value for r in details_rows(trig, info())}
    assert rows["value"] == text
    assert rows["v"] == text


def test_html_cells_are_escaped() -> None:
    trig = trigger("message_open", {"text": "<b>disk & cpu</b>"})
    table = details_table(trig, info(), "html", ["overview"])
    assert "&lt;b&gt;disk &amp; cpu&lt;/b&gt;" in table
    assert "<b>disk" not in table


def test_entity_names_needing_escapes_still_link_in_html() -> None:
    trig = trigger("walkthrough_open", {"entity": "a<b", "window_entity": "a<b"})
    table = details_table(trig, info(server_url=SERVER), "html", ["entity"])
    assert f'<a href="{SERVER}/entities/a%3Cb">a&lt;b</a>' in table


def test_details_table_in_templates_rounds_but_logging_keeps_precision() -> None:
    trig, settings = _jvm()
    scope = TriggerScope(trig, settings, now_ms=trig.now_ms)
    text = render("${detailsTable('property', 'overview')}", scope).text
    assert "value=22.728\n" in text
    history = history_alert_text(
        trig, settings, "${detailsTable('property', 'overview')}", now_ms=trig.now_ms
    )
    assert "value=22.72808635185156\n" in history.text


def test_default_format_and_markup_type() -> None:
    trig, settings = _jvm()
    services = TriggerScope(trig, settings, now_ms=trig.now_ms).content_services
    assert services.details_table("", ["metric"]).startswith("+-")
    assert isinstance(services.details_table("html", ["metric"]), Markup)
    assert not isinstance(services.details_table("ascii", ["metric"]), Markup)


def test_statistics_match_the_section_4_5_check_values() -> None:
    trig, settings = _jvm()
    stats = trig.details_statistics()
    assert math.isclose(stats["wtavg"], 22.10622632443797, rel_tol=1e-12)
    rows = {r.name: r.value for r in details_rows(trig, settings, ["statistics"])}
    assert rows["slope"] == "1.2502e-4"


@pytest.mark.parametrize("fmt", ["ascii", "markdown", "html"])
def test_legacy_details_placeholders_render_their_tables(fmt: str) -> None:
    trig, settings = _jvm()
    scope = TriggerScope(trig, settings, now_ms=trig.now_ms)
    legacy = render(f"${{{fmt}DetailsTable}}", scope, html_escape=fmt == "html")
    modern = render(f"${{detailsTable('{fmt}')}}", scope, html_escape=fmt == "html")
    assert legacy.errors == []
    assert legacy.text == modern.text
    assert legacy.text.startswith({"ascii": "+-", "markdown": "| **Name**", "html": "<table"}[fmt])
