"""Chart screenshots in a send (spec §7.3 steps 4 and 6, §7.4 items 2 and 4).

:func:`screenshot_requests` turns a binding's Attach Screenshot (the Series Chart,
portal ``Default``, first) and its Attach Portals ids into named requests that
:mod:`notifications.delivery.sending` runs after the text and the details file:

* ``image-N``: capture portal N with the pooled web driver and upload the PNG
  (``share/file``, caption ``{portal} for {entity label or name}``). When no image
  can be made (no browser, timeout), the same request sends instead a text
  message with the chart link and the reason, and a ``screenshot-N`` ERROR row
  in the delivery log says why.
* ``links-N`` (HipChat, ``add_links_to_portals`` true): a message with the rule
  and portal links, after its image.

Capture happens when a request is sent, not when the list is built: a retry
skips requests that already got a 2xx (by name) and so never re-captures or
re-sends an image the room already has.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone

log = logging.getLogger(__name__)

TRUE = {"true", "1", "yes", "on"}


@dataclass(frozen=True)
class Image:
    """One captured portal: file name, PNG bytes and caption (``Default for atsd``)."""

    filename: str
    content: bytes
    caption: str


@dataclass(frozen=True)
class ScreenshotRequest:
    """One request of the screenshot part of a send: its log name and how to send it
    with the send's transport (returns the transport's 2xx result, raises its error)."""

    name: str
    send: Callable[[Any], Any]


def _portal_params(portal: Any, trigger: Any) -> dict[str, str]:
    from notifications.screenshots import series_params

    params = series_params(trigger)
    if portal.url_name == "portal-series":
        return params
    return {"entity": params["entity"], "start": params["start"], "end": params["end"]}


def _link(url: str, label: str, message_format: str) -> str:
    if message_format == "html":
        return f'<a href="{html.escape(url)}">{html.escape(label)}</a>'
    return url


def _log_capture_failure(delivery: Any, name: str, kind: str, reason: str) -> None:
    from notifications.models import DeliveryAttempt

    DeliveryAttempt.objects.create(
        delivery=delivery,
        time=timezone.now(),
        attempt=delivery.attempts,
        request=name[:32],
        endpoint_kind=kind.lower(),
        response_code=0,
        status="ERROR",
        error=f"screenshot failed, chart link sent instead: {reason}",
    )
    log.error(
        "notification %s (rule %s): screenshot failed, chart link sent instead: %s",
        delivery.pk,
        delivery.rule_name,
        reason,
    )


def screenshot_requests(
    trigger: Any,
    binding: Any,
    info: Any,
    *,
    delivery: Any,
    params: dict[str, str],
    message_format: str,
    endpoint_kind: str = "HIPCHAT",
) -> list[ScreenshotRequest]:
    """The image (and links) requests of one send with Attach Screenshot on.

    ``params``: the rendered endpoint parameters (``add_links_to_portals``);
    ``message_format``: ``text``/``html`` for the links and fallback messages.
    Unknown portal ids are skipped with a warning.
    """
    from notifications.portals import registry
    from notifications.rendering.links import chart_url, rule_url
    from notifications.rendering.names import image_file_name

    slot = _slot(binding, delivery.trigger)
    portals = [registry.by_name(registry.DEFAULT)]
    for portal in registry.parse_ids(getattr(binding, f"{slot}_portal_ids", "") or ""):
        if portal not in portals:
            portals.append(portal)
    unknown = [
        p.strip()
        for p in (getattr(binding, f"{slot}_portal_ids", "") or "").split(",")
        if p.strip() and registry.by_id(p) is None
    ]
    if unknown:
        log.warning("rule %s: unknown portal ids %s skipped", trigger.rule, ", ".join(unknown))
    entity_name = trigger.entity or ""
    shown = info.entity_label or entity_name
    add_links = (params.get("add_links_to_portals") or "").strip().lower() in TRUE
    zone = settings.TIME_ZONE
    requests: list[ScreenshotRequest] = []
    for index, portal in enumerate(p for p in portals if p is not None):
        i = index + 1
        portal_params = _portal_params(portal, trigger)
        if portal.name == registry.DEFAULT:
            # The chart shows the window as the trigger saw it, even when the history
            # has not flushed its newest samples yet (see the Default portal).
            portal_params["trigger"] = delivery.event_id
        caption = f"{portal.name} for {shown}"
        filename = image_file_name(
            trigger.rule, entity_name, delivery.trigger, portal.name, trigger.now_ms, zone
        )
        if portal.name == registry.DEFAULT:
            tags = trigger.window_tags or trigger.tags or {}
            link = chart_url(settings.SERVER_URL, trigger.metric, entity_name, tags)
        else:
            from notifications.screenshots import public_url

            link = public_url(portal, {"entity": entity_name})

        def send_image(transport: Any, portal=portal, portal_params=portal_params, i=i,
                       caption=caption, filename=filename, link=link) -> Any:  # fmt: skip
            from notifications.screenshots import ScreenshotError, take

            try:
                png = take(portal, portal_params)
            except ScreenshotError as exc:
                reason = str(exc)
                _log_capture_failure(delivery, f"screenshot-{i}", endpoint_kind, reason)
                text = (
                    f"{html.escape(caption) if message_format == 'html' else caption}: "
                    f"chart could not be captured ({html.escape(reason) if message_format == 'html' else reason}). "  # noqa: E501
                    f"Chart: {_link(link, portal.name, message_format)}"
                )
                return transport.send_notification(
                    text,
                    severity=trigger.severity,
                    message_format=message_format,
                    notify=transport.config.notify,
                    from_=transport.config.from_,
                )
            return transport.share_file(filename, png, "image/png", caption)

        requests.append(ScreenshotRequest(f"image-{i}", send_image))
        if add_links and endpoint_kind.upper() == "HIPCHAT":
            rule_link = rule_url(settings.SERVER_URL, trigger.rule)
            links = (
                f"Rule: {_link(rule_link, trigger.rule, message_format)} "
                f"Portal: {_link(link, caption, message_format)}"
            )
            if message_format != "html":
                links = f"Rule {trigger.rule}: {rule_link}\nPortal {caption}: {link}"

            def send_links(transport: Any, links: str = links) -> Any:
                return transport.send_notification(
                    links,
                    severity=trigger.severity,
                    message_format=message_format,
                    notify=transport.config.notify,
                    from_=transport.config.from_,
                )

            requests.append(ScreenshotRequest(f"links-{i}", send_links))
    return requests


def _slot(binding: Any, status: str) -> str:
    from notifications.delivery.sending import trigger_slot

    return trigger_slot(binding, status)
