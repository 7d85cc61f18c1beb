"""Message rendering for notifications (spec §5, §6, §7.3, §8): pure Python, no ORM.

Public API::

    RenderInfo(...)                                   # entity/metric/server settings
    TriggerScope(trigger, info, now_ms=...)           # EvalContext over a TriggerSnapshot
    render(template, scope, *, html_escape) -> RenderResult(text, errors, cancelled)
    render_message(template, trigger, info, *, now_ms, message_format) -> RenderResult
    details_table(trigger, info, format, sections=None, *, server_url=None, style=None)
    details_file_name(...), image_file_name(...)
    history_alert_text(trigger, info, template, *, now_ms) -> RenderResult
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from notifications.rendering.details import DetailsRow, details_rows, details_table
from notifications.rendering.history_text import default_history_text, history_alert_text
from notifications.rendering.info import RenderInfo
from notifications.rendering.links import LinkValue, Markup
from notifications.rendering.names import details_file_name, image_file_name
from notifications.rendering.scope import FIELD_NAMES, PortalRequest, TriggerScope
from notifications.rendering.template import PlaceholderError, RenderResult, render

if TYPE_CHECKING:
    from rules.contract.triggers import TriggerSnapshot

_MARKDOWN_MARKERS = re.compile(r"[_*`\[]")

# Message formats of endpoints → how links are inlined (spec §5.5).
MESSAGE_FORMAT_LINK_STYLES = {
    "text": "none",
    "html": "html",
    "markdown": "markdown",
    "pipe": "pipe",
}


def render_message(
    template: str,
    trigger: TriggerSnapshot,
    info: RenderInfo,
    *,
    now_ms: int,
    message_format: str = "text",
) -> RenderResult:
    """Render one notification text for ``trigger`` in an endpoint's ``message_format``.

    ``text``: plain, bare URLs; ``html``: values escaped, links as ``<a>``;
    ``markdown``: values' markers backslash-escaped, links as ``[l](u)``; ``pipe``:
    unescaped values, links as ``<u|l>``. The
    link style of ``info`` is replaced by the format's. ``now_ms`` is the render
    clock (``now``, alert durations); the notify worker passes ``trigger.now_ms``
    so that a retried or delayed send shows the durations of the evaluation.
    The result's ``portals`` are the ``addPortal()`` screenshots the text asked for.
    """
    style = MESSAGE_FORMAT_LINK_STYLES.get(message_format)
    if style is None:
        raise ValueError(f"unknown message format {message_format!r}")
    scope = TriggerScope(trigger, replace(info, link_style=style), now_ms=now_ms)
    escape = markdown_escape if message_format == "markdown" else None
    result = render(
        template, scope, html_escape=message_format == "html", escape=escape, escape_markup=False
    )
    return replace(result, portals=list(scope.portal_requests))


def markdown_escape(text: str) -> str:
    """``text`` with Markdown's entity markers (``_ * ` [``) escaped by a backslash, so a
    value such as ``disk_used_percent`` shows as it is, not in italics."""
    return _MARKDOWN_MARKERS.sub(r"\\\g<0>", text)


__all__ = [
    "FIELD_NAMES",
    "MESSAGE_FORMAT_LINK_STYLES",
    "DetailsRow",
    "LinkValue",
    "Markup",
    "PlaceholderError",
    "PortalRequest",
    "RenderInfo",
    "RenderResult",
    "TriggerScope",
    "default_history_text",
    "details_file_name",
    "details_rows",
    "details_table",
    "history_alert_text",
    "image_file_name",
    "render",
    "render_message",
]
