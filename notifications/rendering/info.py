"""What a rendering needs besides the trigger snapshot (server, zone, labels, the
binding's settings), gathered by the notify worker before rendering."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from notifications.rendering.links import LINK_STYLES
from rules.expressions.stores import DataStores


@dataclass(frozen=True)
class RenderInfo:
    """Everything a rendering needs besides the trigger snapshot.

    ``link_style``: how link fields are inlined (``html``, ``markdown``, ``pipe``,
    ``none`` = bare URL), from the endpoint type and message format.
    ``map_format``: ``legacy`` ``{k=v}`` or ``modern`` ``[k: v]`` (spec §5.3).
    ``details_style``: ``modern`` or ``legacy`` row set of the details table (§6).
    ``properties``: property values of a property rule's command (the snapshot
    keeps only its keys). ``repeat_interval``: the binding's REPEAT interval text,
    ``''`` for ALL. ``threshold``: the winning override check, ``''`` without one.
    ``stores``: what store functions in templates read (``lookup()``, ``property()``);
    None: nothing stored.
    ``store_reads``: the stored series and alert history functions such as
    ``db_statistic`` read (``StoreReads``); None: they are placeholder errors.
    ``web_queries``: what ``queryConfig``/``queryGet``/``queryPost`` send with
    (``WebQueries``); None (web queries off): they are placeholder errors.
    """

    server_url: str = ""
    zone: str = "UTC"
    map_format: str = "legacy"
    link_style: str = "none"
    details_style: str = "modern"
    details_format: str = "ascii"  # detailsTable() without a format argument
    entity_label: str | None = None
    entity_tags: Mapping[str, str] = field(default_factory=dict)
    entity_fields: Mapping[str, Any] = field(default_factory=dict)
    metric_label: str | None = None
    metric_tags: Mapping[str, str] = field(default_factory=dict)
    metric_fields: Mapping[str, Any] = field(default_factory=dict)
    properties: Mapping[str, str] = field(default_factory=dict)
    repeat_interval: str = ""
    threshold: str = ""
    alert_message: str | None = None
    stores: DataStores | None = None
    store_reads: Any = None
    web_queries: Any = None

    def __post_init__(self) -> None:
        if self.link_style not in LINK_STYLES:
            raise ValueError(f"unknown link style {self.link_style!r}")
