"""The details table of spec §6 for one trigger snapshot.

``details_rows`` decides which Name/Value rows a table has and in which order;
``details_table`` lays them out with the §6 layouts of
``rules.expressions.functions.content.render_table`` (shared with ``addTable``).
Templates reach it through the scope's content services
(:class:`notifications.rendering.scope.TriggerContent`): ``${detailsTable('ascii')}``.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from notifications.rendering.info import RenderInfo
from notifications.rendering.links import entity_url, metric_url
from notifications.rendering.times import format_table_time, format_utc_datetime, zone_description
from rules.expressions.errors import EvaluationError
from rules.expressions.formatting import format_value, round_significant
from rules.expressions.functions.content import TABLE_FORMATS, render_table

if TYPE_CHECKING:
    from rules.contract.triggers import TriggerSnapshot

SECTIONS = ("entity", "metric", "overview", "statistics", "variables")
DETAILS_STYLES = ("modern", "legacy")
_STATISTICS = (
    "sum", "avg", "first", "last", "diff", "max", "min", "variance", "stddev", "wavg",
    "wtavg", "percentile(50)", "percentile(75)", "percentile(90)", "percentile(95)",
    "percentile(99)", "slope", "intercept",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class DetailsRow:
    """One Name/Value row; ``href`` makes the value a link in the html layout."""

    name: str
    value: str
    href: str | None = None


def _is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value == ""


def details_rows(
    trigger: TriggerSnapshot,
    info: RenderInfo,
    sections: Sequence[str] | None = None,
    *,
    server_url: str | None = None,
    style: str | None = None,
    round_numbers: bool = True,
) -> list[DetailsRow]:
    """The §6 rows of ``trigger`` in order, restricted to ``sections`` (order kept).

    Empty, null and NaN values are skipped; the entity part only exists with entity
    grouping (``trigger.window_entity`` set); statistics only for series rules, and
    beyond ``count`` only when count > 1. Numbers use 5 significant digits unless
    ``round_numbers`` is false (logging texts keep full precision).
    """
    wanted = _sections(sections)
    base = info.server_url if server_url is None else server_url
    style = style or info.details_style
    if style not in DETAILS_STYLES:
        raise ValueError(f"unknown details style {style!r}")
    zone = info.zone
    rows: list[DetailsRow] = []

    def num(x: Any) -> str:
        if isinstance(x, bool) or not isinstance(x, int | float):
            return format_value(x, info.map_format)
        return round_significant(x) if round_numbers else format_value(x)

    def add(name: str, value: Any, href: str | None = None) -> None:
        if _is_empty(value):
            return
        text = (
            num(value) if isinstance(value, int | float) else format_value(value, info.map_format)
        )
        rows.append(DetailsRow(name, text, href))

    t = trigger
    if "entity" in wanted and t.window_entity is not None and t.entity:
        add("name", t.entity, entity_url(base, t.entity))
        add("label", info.entity_label)
        for tag in sorted(info.entity_tags):
            add(tag, info.entity_tags[tag])
    if "metric" in wanted:
        add("metric", t.metric, metric_url(base, t.metric))
        add("metric_label", info.metric_label)
    if "overview" in wanted:
        add("expression", t.expression)
        add("rule_filter", t.rule_filter)
        add("window", t.window)
        add("severity", t.severity.lower())
        add("alert_type", t.status)
        add("timezone", zone_description(zone, t.now_ms))
        if style == "legacy":
            legacy = (
                ("window_first", t.command_first_time),
                ("event", t.command_time),
                ("received", t.received_time),
                ("alert_open", t.open_time),
            )
            for prefix, ms in legacy:
                add(f"{prefix}_time", format_table_time(ms, zone))
            for prefix, ms in legacy:
                add(f"{prefix}_datetime", format_utc_datetime(ms))
        else:
            add("command_time", format_table_time(t.command_time, zone))
            add("command_first_time", format_table_time(t.command_first_time, zone))
            add("update_time", format_table_time(t.update_time, zone))
            add("open_time", format_table_time(t.open_time, zone))
        add("value", t.value)
        add("status", t.status)
        for tag in sorted(t.tags):
            add(f"tags.{tag}", t.tags[tag])
        if t.data_type == "message":
            add("type", t.message_type)
            add("source", t.message_source)
            add("message", t.text)
        elif t.data_type == "property":
            for key in sorted(t.keys):
                add(f"keys.{key}", t.keys[key])
            for prop in sorted(info.properties):
                add(f"properties.{prop}", info.properties[prop])
    if "statistics" in wanted and t.data_type == "series":
        stats = t.details_statistics()
        count = int(stats["count"])
        add("count", count)
        if count > 1:
            for name in _STATISTICS:
                add(name, stats.get(name))
    if "variables" in wanted:
        for name, value in t.variables.items():
            add(name, value)
    return rows


def _sections(sections: Sequence[str] | None) -> frozenset[str]:
    if not sections:
        return frozenset(SECTIONS)
    chosen = {s.strip().lower() for s in sections if s and s.strip()}
    unknown = chosen.difference(SECTIONS)
    if unknown:
        raise EvaluationError(
            f"unknown details section {sorted(unknown)[0]!r}; expected one of {', '.join(SECTIONS)}"
        )
    return frozenset(chosen) or frozenset(SECTIONS)


def layout_rows(rows: Sequence[DetailsRow], fmt: str) -> str:
    """Lay rows out in a §6 format; html values with an ``href`` become links."""
    fmt = (fmt or "ascii").lower()
    if fmt not in TABLE_FORMATS:
        raise EvaluationError(f"unknown table format {fmt!r}; expected one of {TABLE_FORMATS}")
    cells = [[r.name, r.value] for r in rows]
    if fmt == "property":
        return render_table(cells, fmt, None)
    if fmt != "html":
        return render_table(cells, fmt, ["Name", "Value"])
    text = render_table(cells, fmt, None)
    # render_table escapes every cell; wrap the linked values afterwards so that the
    # §6 cell styles stay defined in one place. Line i + 1 holds row i.
    lines = text.split("\n")
    for i, row in enumerate(rows):
        if row.href is None:
            continue
        tail = html.escape(row.value) + "</td></tr>"
        line = lines[i + 1]
        if line.endswith(tail):
            anchor = f'<a href="{html.escape(row.href, quote=True)}">{html.escape(row.value)}</a>'
            lines[i + 1] = line[: -len(tail)] + anchor + "</td></tr>"
    return "\n".join(lines)


def details_table(
    trigger: TriggerSnapshot,
    info: RenderInfo,
    format: str = "ascii",
    sections: Sequence[str] | None = None,
    *,
    server_url: str | None = None,
    style: str | None = None,
    round_numbers: bool = True,
) -> str:
    """The §6 details table of ``trigger`` in ``format`` (ascii, markdown, csv, property,
    html). ``server_url`` defaults to ``info.server_url``; ``style`` (modern|legacy,
    the DETAILS_STYLE setting) to ``info.details_style``. Raises ``EvaluationError``
    for an unknown format or section."""
    rows = details_rows(
        trigger, info, sections, server_url=server_url, style=style, round_numbers=round_numbers
    )
    return layout_rows(rows, format)
