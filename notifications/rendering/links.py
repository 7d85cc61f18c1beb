"""Links of spec §5.5 and the text types the renderer must not escape.

``LinkValue`` is what a link field (``ruleLink``, ``entityLink``...) evaluates to:
a ``str`` holding the bare URL, so expressions can still concatenate or compare
it, plus the label the template renderer needs to inline it. ``Markup`` marks
text that is already markup for the endpoint (an ``<a>`` element, an html
details table): the html renderer inserts it without escaping.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from urllib.parse import quote, quote_plus

from rules.expressions.functions.content import link_markup

LINK_STYLES = ("html", "markdown", "pipe", "none")


class Markup(str):
    """Text that is already markup in the endpoint's format: never escaped again."""

    __slots__ = ()


class LinkValue(str):
    """A URL with the label it is shown with when a template inlines it."""

    __slots__ = ("label",)
    label: str

    def __new__(cls, url: str, label: str) -> LinkValue:
        obj = super().__new__(cls, url)
        obj.label = label
        return obj

    @property
    def url(self) -> str:
        return str.__str__(self)

    def markup(self, style: str) -> str:
        """The inline form for a link style: html/markdown/pipe, or the bare URL for none."""
        return link_markup(self.label, self.url, style)


def _enc(text: str) -> str:
    # Java's URLEncoder (what ATSD uses): space as '+', '*' left alone.
    return quote_plus(text, safe="*")


def base_url(server_url: str) -> str:
    """``server.url`` without a trailing slash (spec §5.5)."""
    return (server_url or "").rstrip("/")


def rule_url(server_url: str, rule: str) -> str:
    return f"{base_url(server_url)}/rule/edit.xhtml?name={_enc(rule)}"


def entity_url(server_url: str, entity: str) -> str:
    return f"{base_url(server_url)}/entities/{quote(entity, safe='')}"


def metric_url(server_url: str, metric: str) -> str:
    return f"{base_url(server_url)}/metrics/metric.xhtml?metricName={_enc(metric)}"


def chart_url(server_url: str, metric: str, entity: str, tags: Mapping[str, str]) -> str:
    """Series chart portal; window tags appended as ``tags.<name>=<value>`` [inferred]."""
    url = f"{base_url(server_url)}/portals/series?metric={_enc(metric)}&entity={_enc(entity)}"
    for name in sorted(tags):
        url += f"&tags.{_enc(name)}={_enc(tags[name])}"
    return url


def _export_url(server_url: str, settings: dict[str, object]) -> str:
    text = json.dumps(settings, separators=(",", ":"))
    return f"{base_url(server_url)}/export?settings={quote(text, safe='')}"


def csv_export_url(server_url: str, metric: str, entity: str) -> str:
    return _export_url(
        server_url, {"m": metric, "e": entity, "si": "1-DAY", "t": "HISTORY", "v": False}
    )


def html_export_url(server_url: str, metric: str, entity: str) -> str:
    return _export_url(server_url, {"m": metric, "e": entity, "si": "1-HOUR", "t": "HISTORY"})
