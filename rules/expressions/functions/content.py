"""Content functions of notification texts (spec §4.6, §5.5, §6).

``detailsTable`` and the ``getXxxLink`` functions need the window and the
server URL, which only the renderer knows: they call the ``ContentServices``
found under ``ctx.lookup("content_services")``. ``addTable`` and ``addLink``
are pure. ``cancelAction()`` raises ``CancelAction`` for the renderer.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Mapping
from typing import Any

from rules.expressions.errors import CancelAction, EvaluationError
from rules.expressions.formatting import format_value
from rules.expressions.functions.registry import register
from rules.expressions.semantics import text_of

TABLE_FORMATS = ("ascii", "markdown", "csv", "property", "html")
_TD_NAME = (
    '<td bgcolor="#f0f0f0" align="right" style="font-weight: bold;border: 1px solid #d0d0d0;'
    'padding: 4px;">'
)
_TD_VALUE = '<td align="left" style="border: 1px solid #d0d0d0;padding: 4px;">'
_TABLE_OPEN = (
    '<table style="font-family: monospace, consolas, sans-serif; border-collapse: collapse;">'
    "<tbody>"
)


def render_table(rows: list[list[str]], fmt: str, header: list[str] | None) -> str:
    """Render text rows in one of the §6 layouts (ascii, markdown, csv, property, html)."""
    fmt = fmt.lower()
    if fmt not in TABLE_FORMATS:
        raise EvaluationError(f"unknown table format {fmt!r}")
    if fmt == "ascii":
        body = ([header] if header else []) + rows
        if not body:
            return ""
        ncols = max(len(r) for r in body)
        body = [r + [""] * (ncols - len(r)) for r in body]
        widths = [max(len(r[i]) for r in body) for i in range(ncols)]
        border = "+" + "+".join("-" * (w + 2) for w in widths) + "+"

        def line(r: list[str]) -> str:
            return "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |"

        out = [border]
        if header:
            out += [line(body[0]), border]
            body = body[1:]
        out += [line(r) for r in body] + [border]
        return "\n".join(out)
    if fmt == "markdown":
        head = header or [""] * (len(rows[0]) if rows else 2)
        out = ["| " + " | ".join(f"**{h}**" for h in head) + " |"]
        out.append("|" + "|".join(":---" for _ in head) + "|")
        out += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(out)
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        if header:
            writer.writerow(header)
        writer.writerows(rows)
        return buf.getvalue().rstrip("\n")
    if fmt == "property":
        return "\n".join("=".join([*r[:1], ",".join(r[1:])]) for r in rows)
    lines = [_TABLE_OPEN]
    for r in rows:
        name, value = [*r, "", ""][:2]
        lines.append(
            f"<tr>{_TD_NAME}{html.escape(name)}</td>{_TD_VALUE}{html.escape(value)}</td></tr>"
        )
    lines.append("</tbody></table>")
    return "\n".join(lines)


def _services(ctx: Any, fn: str) -> Any:
    services = ctx.lookup("content_services")
    if services is None:
        raise EvaluationError(f"{fn}() is only available in notification texts")
    return services


@register("detailsTable", 0, None)
def details_table(ctx: Any, fmt: Any = None, *sections: Any) -> str:
    """The window's Name/Value details table (spec §6) in format, restricted to sections."""
    return _services(ctx, "detailsTable").details_table(
        text_of(fmt) if fmt is not None else "", [text_of(s) for s in sections]
    )


@register("addPortal", 1, 4)
def add_portal(
    ctx: Any, portal: Any, entity: Any = None, caption: Any = None, params: Any = None
) -> str:
    """addPortal(portal[, entity[, caption[, params]]]): attach a screenshot of the
    portal (name or id) for ``entity`` (default: the alert's) to this notification, with
    ``caption`` (default ``{portal} for {entity}``) and extra portal parameters (a map)."""
    if params is not None and not isinstance(params, Mapping):
        raise EvaluationError("addPortal(): the parameters must be a map")
    return _services(ctx, "addPortal").add_portal(
        text_of(portal),
        None if entity in (None, "") else text_of(entity),
        None if caption in (None, "") else text_of(caption),
        {text_of(k): text_of(v) for k, v in (params or {}).items()},
    )


@register("addTable", 1, 3)
def add_table(ctx: Any, data: Any, fmt: Any = "ascii", header: Any = None) -> str:
    """A table from a map (Name/Value rows), a list of lists or a list of maps.

    ``header`` is a list of column names or ``true`` for the default header
    (``Name``/``Value`` for a map, the keys of the first map for a list of maps, the
    first list of a list of lists, as ``jsonToLists`` makes it).
    """
    fmt_text = text_of(fmt) or "ascii"
    head: list[str] | None = None
    if isinstance(header, list | tuple):
        head = [text_of(h) for h in header]
    if isinstance(data, Mapping):
        rows = [[text_of(k), format_value(data[k])] for k in sorted(data, key=str)]
        if header is True or (header is None and fmt_text != "property"):
            head = head or ["Name", "Value"]
    elif isinstance(data, list | tuple):
        if data and all(isinstance(r, Mapping) for r in data):
            keys = list(data[0].keys())
            rows = [[format_value(r.get(k)) for k in keys] for r in data]
            if header is True or header is None:
                head = head or [text_of(k) for k in keys]
        else:
            rows = [
                [format_value(c) for c in (r if isinstance(r, list | tuple) else [r])] for r in data
            ]
            if header is True and rows:
                head, rows = rows[0], rows[1:]
    elif data is None:
        return ""
    else:
        raise EvaluationError("addTable() needs a map or a list")
    return render_table(rows, fmt_text, head)


def _link(ctx: Any, kind: str, fmt: Any) -> str:
    fn = "get" + kind[0].upper() + kind[1:] + "Link"
    return _services(ctx, fn).link(kind, text_of(fmt) if fmt is not None else None)


@register("getEntityLink", 0, 1)
def get_entity_link(ctx: Any, fmt: Any = None) -> str:
    """Link to the entity page (label = entity label or name), in the endpoint's link form."""
    return _link(ctx, "entity", fmt)


@register("getRuleLink", 0, 1)
def get_rule_link(ctx: Any, fmt: Any = None) -> str:
    """Link to the rule editor (label = rule name)."""
    return _link(ctx, "rule", fmt)


@register("getChartLink", 0, 1)
def get_chart_link(ctx: Any, fmt: Any = None) -> str:
    """Link to the series chart (label ``Default``)."""
    return _link(ctx, "chart", fmt)


@register("getCsvExportLink", 0, 1)
def get_csv_export_link(ctx: Any, fmt: Any = None) -> str:
    """Link to the CSV export (label ``CSV Export``)."""
    return _link(ctx, "csvExport", fmt)


@register("getHtmlExportLink", 0, 1)
def get_html_export_link(ctx: Any, fmt: Any = None) -> str:
    """Link to the HTML export (label ``HTML Export``)."""
    return _link(ctx, "htmlExport", fmt)


def link_markup(label: str, url: str, fmt: str) -> str:
    """``<a href>`` (html), ``[label](url)`` (markdown), ``<url|label>`` (pipe), else the URL."""
    if fmt == "html":
        return f'<a href="{html.escape(url, quote=True)}">{html.escape(label)}</a>'
    if fmt == "markdown":
        return f"[{label}]({url})"
    if fmt == "pipe":
        return f"<{url}|{label}>"
    return url


@register("addLink", 2, 3)
def add_link(ctx: Any, label: Any, url: Any, fmt: Any = None) -> str:
    """A labelled link in the endpoint's link form (``content_services.link_format``)."""
    if fmt is None:
        services = ctx.lookup("content_services")
        fmt = getattr(services, "link_format", "none") if services is not None else "none"
    return link_markup(text_of(label), text_of(url), text_of(fmt).lower())


@register("cancelAction", 0)
def cancel_action(ctx: Any) -> None:
    """Cancel this notification send (the renderer logs it as cancelled, not as an error)."""
    raise CancelAction("cancelAction() called")
