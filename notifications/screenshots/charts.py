"""The charts a notification attaches (spec §7.3 steps 4 and 6, §7.4 items 2 and 4).

A binding's Attach Screenshot attaches the Series Chart (portal ``Default``) first,
then the portals of its Attach Portals ids, each a :class:`Chart`: the portal and its
parameters for the trigger, the file name, the caption (``{portal} for {entity label or
name}``) and the link people follow. The image is captured when the chart is sent
(:func:`notifications.screenshots.capture.take`), not when the list is made, so a retry
that skips what already arrived never captures again. When no image can be made the
notification says so with the chart's link instead (:meth:`Chart.unavailable_text`).

Send Screenshot on the endpoint form attaches :func:`trial_chart`: the Test Portal
showing the series the form chose, by default the most recently active series of the
users' data (never this server's own metrics unless chosen).
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse

from notifications.portals import catalog
from notifications.portals.catalog import Portal
from notifications.portals.views import threshold_of
from notifications.rendering import MESSAGE_FORMAT_LINK_STYLES, PortalRequest
from notifications.rendering.links import LinkValue, chart_url, rule_url
from notifications.rendering.names import image_file_name
from rules.contract.series import SeriesName, default_chart_series

if TYPE_CHECKING:
    from rules.contract.triggers import TriggerSnapshot

log = logging.getLogger(__name__)

RANGE_MS = 3_600_000  # the Default portal shows the hour up to the trigger
AFTER_MS = 60_000  # and a minute after it, so the last sample is not on the edge
TEST_FILENAME = "test_screenshot.png"  # spec §7.1


@dataclass(frozen=True)
class Chart:
    """One chart to attach: what to capture, how the file is named and captioned, and
    ``link``, the page people open (behind their login)."""

    portal: Portal
    params: dict[str, str]
    filename: str
    caption: str
    link: str

    def unavailable_text(self, reason: str, message_format: str) -> str:
        """What the room gets instead of the image: the caption, why, and the link."""
        escape = html.escape if message_format == "html" else str
        link = _link(self.link, self.portal.name, message_format)
        return (
            f"{escape(self.caption)}: chart could not be captured ({escape(reason)}). Chart: {link}"
        )

    def links_text(self, rule: str, message_format: str) -> str:
        """The message after the image that links the rule and this portal."""
        rule_link = rule_url(settings.SERVER_URL, rule)
        if MESSAGE_FORMAT_LINK_STYLES.get(message_format, "none") == "none":
            return f"Rule {rule}: {rule_link}\nPortal {self.caption}: {self.link}"
        return (
            f"Rule: {_link(rule_link, rule, message_format)} "
            f"Portal: {_link(self.link, self.caption, message_format)}"
        )


def _link(url: str, label: str, message_format: str) -> str:
    return LinkValue(url, label).markup(MESSAGE_FORMAT_LINK_STYLES.get(message_format, "none"))


def public_url(portal: Portal, params: dict[str, str]) -> str:
    """The link for people (behind their login): ``SERVER_URL`` + path + query."""
    base = settings.SERVER_URL.rstrip("/")
    return f"{base}{reverse(portal.url_name)}?{urlencode(sorted(params.items()))}"


def series_params(trigger: TriggerSnapshot) -> dict[str, str]:
    """The ``Default`` portal's parameters for a trigger: its metric, entity, window
    tags, the hour up to the trigger, the window's first sample and open time marked,
    the rule, and the threshold of a simple condition (drawn as a line)."""
    params = {"metric": trigger.metric, "entity": trigger.entity or ""}
    for name, value in sorted((trigger.window_tags or trigger.tags or {}).items()):
        params[f"tags.{name}"] = str(value)
    end = int(trigger.now_ms) + AFTER_MS
    params.update(start=str(end - RANGE_MS - AFTER_MS), end=str(end), rule=trigger.rule)
    if trigger.open_time:
        params["open_time"] = str(int(trigger.open_time))
    if trigger.times:
        params["window_start"] = str(int(min(trigger.times)))
    threshold = threshold_of(trigger.expression or "")
    if threshold is not None:
        params["threshold"] = repr(threshold)
    return params


def attached_portals(portal_ids: str, rule: str) -> list[Portal]:
    """``Default`` and then the known portals of a comma list of ids, without repeats;
    unknown ids are skipped with a warning naming ``rule``."""
    portals = [catalog.by_name(catalog.DEFAULT)]
    portals += [p for p in catalog.parse_ids(portal_ids) if p not in portals]
    unknown = [p.strip() for p in portal_ids.split(",") if p.strip() and catalog.by_id(p) is None]
    if unknown:
        log.warning("rule %s: unknown portal ids %s skipped", rule, ", ".join(unknown))
    return [p for p in portals if p is not None]


def _portal_chart(
    trigger: TriggerSnapshot, portal: Portal, entity: str, caption: str, event_id: str
) -> Chart:
    """``portal`` for ``entity`` around ``trigger`` (``event_id``: its trigger record,
    which the ``Default`` portal draws the window from)."""
    series = series_params(trigger)
    if portal.name == catalog.DEFAULT and entity == (trigger.entity or ""):
        # The chart shows the window as the trigger saw it, even when the history
        # has not flushed its newest samples yet (see the Default portal).
        params = {**series, "trigger": event_id}
        tags = trigger.window_tags or trigger.tags or {}
        link = chart_url(settings.SERVER_URL, trigger.metric, entity, tags)
    elif portal.name == catalog.DEFAULT:
        params = {**series, "entity": entity}
        link = chart_url(settings.SERVER_URL, trigger.metric, entity, {})
    else:
        params = {key: series[key] for key in ("start", "end")} | {"entity": entity}
        link = public_url(portal, {"entity": entity})
    filename = image_file_name(
        trigger.rule, entity, trigger.status, portal.name, trigger.now_ms, settings.TIME_ZONE
    )
    return Chart(portal, params, filename, caption, link)


def trigger_charts(
    trigger: TriggerSnapshot, portal_ids: str, *, event_id: str, entity_label: str | None
) -> list[Chart]:
    """The charts a notification of ``trigger`` attaches (``event_id``: its trigger
    record, which the ``Default`` portal draws the window from)."""
    entity = trigger.entity or ""
    caption_entity = entity_label or entity
    return [
        _portal_chart(trigger, portal, entity, f"{portal.name} for {caption_entity}", event_id)
        for portal in attached_portals(portal_ids, trigger.rule)
    ]


def requested_charts(
    trigger: TriggerSnapshot, requests: list[PortalRequest], *, event_id: str
) -> list[Chart]:
    """The charts ``addPortal()`` asked for, in order, each once (a text and a parameter
    may ask for the same); extra parameters are added to the portal's own."""
    charts: list[Chart] = []
    seen: list[PortalRequest] = []
    for request in requests:
        portal = catalog.by_id(request.portal_id)
        if portal is None or request in seen:
            continue
        seen.append(request)
        chart = _portal_chart(trigger, portal, request.entity, request.caption, event_id)
        if request.params:
            chart = replace(chart, params={**chart.params, **request.params})
        charts.append(chart)
    return charts


def _series_params(portal: Portal, series: SeriesName | None) -> tuple[dict[str, str], str]:
    """Parameters showing ``series`` (the default chart series when None), and its entity."""
    found = series or default_chart_series()
    if found is None:
        return {}, ""
    if portal.url_name != "portal-series":
        return {"entity": found.entity}, found.entity
    params = {"metric": found.metric, "entity": found.entity}
    params.update({f"tags.{k}": v for k, v in found.tags.items()})
    return params, found.entity


def trial_chart(portal: Portal, series: SeriesName | None = None) -> Chart:
    """What Send Screenshot attaches: ``portal`` showing ``series``, by default the most
    recently active series of the users' data."""
    params, entity = _series_params(portal, series)
    caption = f"{portal.name} for {entity}" if entity else portal.name
    return Chart(portal, params, TEST_FILENAME, caption, public_url(portal, params))
