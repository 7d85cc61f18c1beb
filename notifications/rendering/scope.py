"""The names a notification text sees for one trigger (spec §4.4, §5.2).

``TriggerScope`` implements ``rules.expressions.context.EvalContext`` over a
``TriggerSnapshot``, so placeholders render from plain data: the notify
worker needs neither the engine's window nor the database. What the snapshot
does not carry (entity and metric metadata, server URL and zone, the binding's
repeat interval, the endpoint's link style) comes in a ``RenderInfo``.
``TriggerContent`` is the ``ContentServices`` a scope offers, so ``${detailsTable('ascii')}``
and ``${getRuleLink()}`` work in templates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from notifications.portals import catalog
from notifications.rendering.details import details_table
from notifications.rendering.info import RenderInfo
from notifications.rendering.links import (
    LinkValue,
    Markup,
    base_url,
    chart_url,
    csv_export_url,
    entity_url,
    html_export_url,
    rule_url,
)
from notifications.rendering.times import format_server_time, format_utc_datetime
from rules.contract.ack_links import ack_url
from rules.expressions.datetime_value import DateTime
from rules.expressions.errors import EvaluationError
from rules.expressions.formatting import command_tags, format_duration, format_duration_interval
from rules.expressions.points_window import PointsWindow
from rules.expressions.values import EntityValue, MetricValue

if TYPE_CHECKING:
    from rules.contract.triggers import TriggerSnapshot

RuleOpen = Callable[[str, str | None, str | None], bool]


@dataclass(frozen=True)
class PortalRequest:
    """An ``addPortal()`` of a notification text: which portal (id), for which entity,
    its caption and extra parameters."""

    portal_id: int
    entity: str
    caption: str
    params: dict[str, str]


# -- durations ------------------------------------------------------------------------


def alert_duration_seconds(trigger: TriggerSnapshot, now_ms: int) -> int | None:
    """Whole seconds since open (spec §5.4), up to the cancel at CANCEL; None while OPEN."""
    if trigger.status == "OPEN" or trigger.open_time is None:
        return None
    end = now_ms
    if trigger.status == "CANCEL" and trigger.cancel_time is not None:
        end = trigger.cancel_time
    return max(0, (end - trigger.open_time) // 1000)


# -- the scope ----------------------------------------------------------------------

_DATE_FIELDS = (
    "open_time",
    "repeat_time",
    "cancel_time",
    "change_time",
    "add_time",
    "previous_add_time",
    "remove_time",
    "update_time",
    "command_time",
    "command_first_time",
    "command_last_time",
)


class TriggerScope:
    """``EvalContext`` of a notification text for one trigger snapshot.

    Every §5.2 field is available by name; user variables shadow fields (as in the
    engine's window scope). Statistical functions see the snapshot's samples.
    ``now_ms`` is the render clock (``now``, ``today``, alert durations); pass it
    explicitly. ``content_services`` defaults to the details table and links of
    ``notifications.rendering.details`` for this trigger.
    """

    def __init__(
        self,
        trigger: TriggerSnapshot,
        info: RenderInfo | None = None,
        *,
        now_ms: int,
        content_services: Any = None,
        rule_open: RuleOpen | None = None,
        round_numbers: bool = True,
    ) -> None:
        self.trigger = trigger
        self.info = info or RenderInfo()
        self.now_ms = int(now_ms)
        self.zone = self.info.zone
        self.stores = self.info.stores
        self.window = PointsWindow.of(trigger.times, trigger.values)
        self._rule_open = rule_open
        if content_services is None:
            content_services = TriggerContent(self, round_numbers=round_numbers)
        self.content_services = content_services
        # addPortal() requests of this rendering, in order (attached by the delivery).
        self.portal_requests: list[PortalRequest] = []
        self._cache: dict[str, Any] = {}

    @property
    def link_style(self) -> str:
        return self.info.link_style

    @property
    def map_format(self) -> str:
        return self.info.map_format

    # -- value objects ------------------------------------------------------------------

    def entity_value(self) -> EntityValue | None:
        name = self.trigger.entity
        if name is None:
            return None
        info = self.info
        return EntityValue(name, info.entity_label, info.entity_tags, **dict(info.entity_fields))

    def metric_value(self) -> MetricValue:
        info = self.info
        return MetricValue(
            self.trigger.metric, info.metric_label, info.metric_tags, **dict(info.metric_fields)
        )

    def link(self, kind: str) -> LinkValue | None:
        """Link field ``kind`` (rule, entity, chart, csvExport, htmlExport, ack) with its
        label."""
        t = self.trigger
        base = self.info.server_url
        entity = t.entity or ""
        if kind == "rule":
            return LinkValue(rule_url(base, t.rule), t.rule)
        if kind == "entity":
            if not entity:
                return None
            return LinkValue(entity_url(base, entity), self.info.entity_label or entity)
        if kind == "chart":
            if t.data_type != "series" or not entity:
                return None
            return LinkValue(chart_url(base, t.metric, entity, t.window_tags), "Default")
        if kind == "csvExport":
            return LinkValue(csv_export_url(base, t.metric, entity), "CSV Export")
        if kind == "htmlExport":
            return LinkValue(html_export_url(base, t.metric, entity), "HTML Export")
        if kind == "ack":
            # An open alert only: a CANCEL has nothing left to acknowledge.
            if t.status == "CANCEL" or t.episode is None:
                return None
            return LinkValue(
                ack_url(base, t.rule, t.window_key, t.episode, t.now_ms), "Acknowledge"
            )
        raise ValueError(f"unknown link kind {kind!r}")

    def alert_duration_seconds(self) -> int | None:
        return alert_duration_seconds(self.trigger, self.now_ms)

    # -- EvalContext ------------------------------------------------------------------

    def lookup(self, name: str) -> Any:
        """Value of ``name``; None (null, rendered ``''``) for unknown names."""
        variables = self.trigger.variables
        if name in variables:
            return variables[name]
        cache = self._cache
        if name in cache:
            return cache[name]
        getter = _FIELDS.get(name)
        value = getter(self) if getter is not None else None
        cache[name] = value
        return value

    def line_value(self, metric: str) -> float | None:
        return self.trigger.line_values.get(metric.lower())

    def rule_open(self, rule: str, entity: str | None, expression: str | None) -> bool:
        """Answered by the callback the caller supplies (the alert store); False without."""
        if self._rule_open is None:
            return False
        return bool(self._rule_open(rule, entity, expression))


class TriggerContent:
    """``ContentServices`` of a ``TriggerScope``: details table and links of its trigger.

    Html output is returned as ``Markup`` so the html renderer does not escape it.
    """

    def __init__(self, scope: TriggerScope, *, round_numbers: bool = True) -> None:
        self.scope = scope
        self.round_numbers = round_numbers

    @property
    def link_format(self) -> str:
        return self.scope.link_style

    def details_table(self, format: str, sections: Sequence[str]) -> str:
        fmt = (format or self.scope.info.details_format).lower()
        text = details_table(
            self.scope.trigger,
            self.scope.info,
            fmt,
            sections,
            round_numbers=self.round_numbers,
        )
        return Markup(text) if fmt == "html" else text

    def add_portal(
        self, portal: str, entity: str | None, caption: str | None, params: Mapping[str, str]
    ) -> str:
        """Record the screenshot for the delivery to attach; nothing goes in the text.
        A portal this server does not have is an error naming the ones it has."""
        found = catalog.lookup(portal)
        if found is None:
            names = ", ".join(p.name for p in catalog.all_portals())
            raise EvaluationError(f"addPortal(): no portal {portal!r} here; portals: {names}")
        scope = self.scope
        shown = entity or scope.trigger.entity or ""
        if caption is None:
            label = scope.info.entity_label if entity is None else None
            caption = f"{found.name} for {label or shown}"
        scope.portal_requests.append(PortalRequest(found.id, shown, caption, dict(params)))
        return ""

    def link(self, kind: str, format: str | None) -> str:
        value = self.scope.link(kind)
        if value is None:
            return ""
        style = (format or self.link_format).lower()
        if style == "html":
            return Markup(value.markup(style))  # link_markup escaped the label and URL
        if style == "markdown" == self.link_format:
            return Markup(value.markup(style))  # a Markdown message escapes values, not links
        # Markdown, pipe and bare links are plain text: an html message escapes them
        # like any value (a label can hold markup), other formats keep them as written.
        return value.markup(style)


def _dt(ms: int | None, zone: str) -> DateTime | None:
    return None if ms is None else DateTime(ms, zone)


def _date_field(name: str) -> Callable[[TriggerScope], Any]:
    return lambda s: _dt(getattr(s.trigger, name), s.zone)


def _message_field(kinds: tuple[str, ...], get: Callable[[TriggerSnapshot], Any]) -> Any:
    return lambda s: get(s.trigger) if s.trigger.data_type in kinds else None


def _window_duration(s: TriggerScope) -> int:
    t = s.trigger
    if t.command_first_time is None or t.command_last_time is None:
        return 0
    return t.command_last_time - t.command_first_time


def _duration(fmt: Callable[[int], str]) -> Callable[[TriggerScope], str]:
    def get(s: TriggerScope) -> str:
        seconds = s.alert_duration_seconds()
        return "" if seconds is None else fmt(seconds)

    return get


def _link_field(kind: str) -> Callable[[TriggerScope], Any]:
    return lambda s: s.link(kind)


def _details_field(fmt: str) -> Callable[[TriggerScope], Any]:
    """Legacy ``${asciiDetailsTable}`` and kin: ``detailsTable(fmt)`` (spec §6)."""
    return lambda s: s.content_services.details_table(fmt, ())


_FIELDS: dict[str, Callable[[TriggerScope], Any]] = {
    "rule": lambda s: s.trigger.rule,
    "rule_name": lambda s: s.trigger.rule,
    "status": lambda s: s.trigger.status,
    "alert_type": lambda s: s.trigger.status,
    "before_status": lambda s: s.trigger.before_status,
    "severity": lambda s: s.trigger.severity.lower(),
    "condition": lambda s: s.trigger.expression,
    "expression": lambda s: s.trigger.expression,
    "rule_expression": lambda s: s.trigger.expression,
    "rule_filter": lambda s: s.trigger.rule_filter,
    "threshold": lambda s: s.info.threshold,
    "window": lambda s: s.trigger.window,
    "repeat_count": lambda s: s.trigger.repeat_count,
    "repeat_interval": lambda s: s.info.repeat_interval,
    "delay_expired": lambda s: s.trigger.delay_expired,
    "flapping": lambda s: s.trigger.flapping,
    "min_interval_expired": lambda s: s.trigger.delay_expired,
    "metric": TriggerScope.metric_value,
    "entity": TriggerScope.entity_value,
    "entity_label": lambda s: s.info.entity_label,
    "entity_tags": lambda s: dict(s.info.entity_tags),
    "tags": lambda s: dict(s.trigger.tags),
    "event_tags": lambda s: dict(s.trigger.tags),
    "window_entity": lambda s: s.trigger.window_entity,
    "window_tags": lambda s: dict(s.trigger.window_tags),
    "commandTags": lambda s: command_tags(s.trigger.tags),
    "value": lambda s: s.trigger.value,
    "open_value": lambda s: s.trigger.open_value,
    "message": _message_field(("message",), lambda t: t.text),
    "type": _message_field(("message", "property"), lambda t: t.message_type),
    "source": _message_field(("message",), lambda t: t.message_source),
    "keys": _message_field(("property",), lambda t: dict(t.keys)),
    "properties": lambda s: dict(s.info.properties) if s.trigger.data_type == "property" else None,
    "columns": lambda s: dict(s.trigger.variables),
    "now": lambda s: DateTime(s.now_ms, s.zone),
    "today": lambda s: DateTime(s.now_ms, s.zone).start_of_day(),
    "yesterday": lambda s: DateTime(s.now_ms, s.zone).start_of_day().add(-1, "day"),
    "tomorrow": lambda s: DateTime(s.now_ms, s.zone).start_of_day().add(1, "day"),
    **{name: _date_field(name) for name in _DATE_FIELDS},
    "window_duration": _window_duration,
    "alert_duration": _duration(format_duration),
    "alert_duration_interval": _duration(format_duration_interval),
    "is_exiting": lambda s: s.trigger.is_exiting,
    "timestamp": lambda s: s.trigger.command_time,
    "received_time": lambda s: format_server_time(s.trigger.received_time, s.zone),
    "received_datetime": lambda s: format_utc_datetime(s.trigger.received_time),
    "event_time": lambda s: format_server_time(s.trigger.command_time, s.zone),
    "event_datetime": lambda s: format_utc_datetime(s.trigger.command_time),
    "alert_open_time": lambda s: format_server_time(s.trigger.open_time, s.zone),
    "alert_open_datetime": lambda s: format_utc_datetime(s.trigger.open_time),
    "window_first_time": lambda s: format_server_time(s.trigger.command_first_time, s.zone),
    "window_first_datetime": lambda s: format_utc_datetime(s.trigger.command_first_time),
    "alert_message": lambda s: s.info.alert_message,
    "serverLink": lambda s: base_url(s.info.server_url),
    "ruleLink": _link_field("rule"),
    "entityLink": _link_field("entity"),
    "chartLink": _link_field("chart"),
    "csvExportLink": _link_field("csvExport"),
    "htmlExportLink": _link_field("htmlExport"),
    "ackLink": _link_field("ack"),
    "asciiDetailsTable": _details_field("ascii"),
    "markdownDetailsTable": _details_field("markdown"),
    "htmlDetailsTable": _details_field("html"),
    "content_services": lambda s: s.content_services,
    "store_reads": lambda s: s.info.store_reads,
    "web_queries": lambda s: s.info.web_queries,
}

#: Every field name a notification text can use besides user variables (spec §5.2).
FIELD_NAMES = frozenset(_FIELDS) - {"content_services", "store_reads", "web_queries"}
