"""Portal pages (Data > Portals): the list, the series chart ``Default``, the overview.

Every page needs a reader's login (administrators, operators), except that a valid
signature (``signing``) opens one portal with its exact parameters for the web
driver. Pages embed their data as JSON and draw it with the vendored uPlot
(``static/vendor/uplot``); the body gets ``data-portal-ready="1"`` once drawn, which
is what the web driver waits for.
"""

from __future__ import annotations

import functools
import math
import re
import time
from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_sameorigin

from atsd_alerts.accounts import can_read, viewer_required
from notifications.portals import catalog, signing
from rules.contract import series as history
from rules.models import Rule, TriggerRecord

HOUR_MS = 3_600_000
# A "simple comparison" condition: one operand, one operator, one number (value > 80).
SIMPLE_CONDITION = re.compile(
    r"^\s*[A-Za-z_][\w.]*(?:\(\s*[\w.]*\s*\))?\s*(>=|<=|>|<|==|!=)\s*(-?\d+(?:\.\d+)?)\s*$"
)


def threshold_of(expression: str) -> float | None:
    """The number of a simple comparison condition (``value > 80`` → 80.0), else None."""
    match = SIMPLE_CONDITION.match(expression or "")
    return float(match.group(2)) if match else None


def portal_page(
    portal_name: str,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A reader's login, or a valid ``sig`` for ``portal_name`` and the request's parameters."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if can_read(request.user):
                return view(request, *args, **kwargs)
            sig = request.GET.get(signing.SIG)
            if not sig:
                if request.user.is_authenticated:
                    raise PermissionDenied("administrators and operators only")
                return redirect_to_login(request.get_full_path())
            problem = signing.verify(portal_name, request.GET.dict(), sig)
            if problem:
                return HttpResponseForbidden(f"Portal link refused: {problem}.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def _int(value: str | None, default: int | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else default
    except ValueError:
        return default


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def _tags(request: HttpRequest) -> dict[str, str]:
    # lists() rather than items(): items() gives [] for a key without values, lists()
    # lets us skip those and take the last value as items() would.
    return {
        k[5:]: values[-1]
        for k, values in request.GET.lists()
        if values and k.startswith("tags.") and len(k) > 5
    }


def _range(request: HttpRequest) -> tuple[int, int]:
    now = int(time.time() * 1000)
    end = _int(request.GET.get("end"), now)
    end = now if end is None else end
    start = _int(request.GET.get("start"), None)
    return (end - HOUR_MS if start is None else start), end


def _chart(series: history.Series, title: str) -> dict[str, Any]:
    tags = ", ".join(f"{k}={v}" for k, v in sorted(series.tags.items()))
    return {
        "title": title,
        "label": f"{series.metric} {series.entity}" + (f" {{{tags}}}" if tags else ""),
        "times": [t / 1000 for t, _ in series.points],
        "values": [v for _, v in series.points],
    }


def _with_window_samples(
    found: list[history.Series], trigger_id: str, metric: str, entity: str | None
) -> list[history.Series]:
    """Merge the samples of the trigger's window into its series.

    History reaches Redis about a second after ingest, while an OPEN screenshot is
    taken at once: without this, the chart sent with an alert would lack the sample
    that opened it.
    """
    record = TriggerRecord.objects.filter(event_id=trigger_id).only("data").first()
    if record is None:
        return found
    trigger = record.snapshot()
    if trigger.metric != metric or (entity and trigger.entity != entity):
        return found
    samples = zip(trigger.times, trigger.values, strict=True)
    window = [(t, v) for t, v in samples if not math.isnan(v)]
    if not window:
        return found
    if not found:
        tags = trigger.window_tags or trigger.tags or {}
        found = [history.Series(metric, trigger.entity or "", dict(tags))]
    series = found[0]
    merged = dict(series.points)
    merged.update(window)
    series.points = sorted(merged.items())
    return found


@xframe_options_sameorigin
@portal_page(catalog.DEFAULT)
def series_portal(request: HttpRequest) -> HttpResponse:
    """``/portals/series?metric=&entity=&tags.<k>=&start=&end=`` (ms) plus the marks:
    ``rule`` (its condition's threshold), ``open_time``, ``window_start`` (ms),
    ``threshold`` (explicit)."""
    metric = request.GET.get("metric", "").strip()
    entity = request.GET.get("entity", "").strip() or None
    tags = _tags(request)
    start, end = _range(request)
    rule_name = request.GET.get("rule", "").strip()
    threshold = _float(request.GET.get("threshold"))
    if threshold is None and rule_name:
        rule = Rule.objects.filter(name=rule_name).only("expression").first()
        threshold = threshold_of(rule.expression) if rule else None
    found = history.query(metric, entity, tags, start, end, limit=5) if metric else []
    trigger_id = request.GET.get("trigger", "").strip()
    if trigger_id:
        found = _with_window_samples(found, trigger_id, metric, entity)
    charts = [_chart(s, s.metric) for s in found]
    marks = {
        "open_time": (_int(request.GET.get("open_time"), None) or 0) / 1000 or None,
        "window_start": (_int(request.GET.get("window_start"), None) or 0) / 1000 or None,
        "threshold": threshold,
    }
    context = {
        "portal": catalog.by_name(catalog.DEFAULT),
        "metric": metric,
        "entity": entity or "",
        "tags": tags,
        "rule": rule_name,
        "start": start,
        "end": end,
        "data": {
            "layout": "single",
            "start": start / 1000,
            "end": end / 1000,
            "charts": charts,
            "marks": marks,
        },
    }
    return render(request, "portals/series.html", context)


@xframe_options_sameorigin
@portal_page("Entity Overview")
def overview_portal(request: HttpRequest) -> HttpResponse:
    """``/portals/overview?entity=&start=&end=``: up to six charts, one per metric."""
    entity = request.GET.get("entity", "").strip()
    start, end = _range(request)
    charts: list[dict[str, Any]] = []
    if entity:
        for sid in history.series_ids(None, entity)[:6]:
            metric, _, tags = history.parse_series_id(sid)
            found = history.query(metric, entity, tags, start, end, limit=1)
            charts.extend(_chart(series, series.metric) for series in found if series.tags == tags)
    context = {
        "portal": catalog.by_name("Entity Overview"),
        "entity": entity,
        "start": start,
        "end": end,
        "data": {
            "layout": "grid",
            "start": start / 1000,
            "end": end / 1000,
            "charts": charts,
            "marks": {},
        },
    }
    return render(request, "portals/overview.html", context)


@viewer_required
def portal_list(request: HttpRequest) -> HttpResponse:
    """Data > Portals: ids and names to pick from (endpoint Test Portal, rule portal ids)."""
    return render(request, "portals/list.html", {"portals": catalog.all_portals()})
