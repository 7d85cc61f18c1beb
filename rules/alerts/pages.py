"""Open Alerts, alert details, Alert History and Rule Errors pages (spec §8).

Open Alerts works without JavaScript (filters are a GET form, Ack and Delete are POST
forms that redirect back); ``static/js/open_alerts.js`` adds the 3-second refresh
through ``open_alerts_rows`` and submits the same forms with ``fetch``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_POST

from atsd_alerts.accounts import (
    administrator_required,
    can_acknowledge,
    is_administrator,
    viewer_required,
)
from rules.alerts.filters import QueryError, name_q, parse_date, pattern_arg
from rules.events import SEVERITY_NAMES
from rules.expressions.formatting import format_duration_interval, round_significant
from rules.models import AckLinkUse, Alert, AlertHistory, Entity, Rule, RuleErrorRecord
from rules.wildcards import has_wildcards

# The page stays usable with a flood of alerts; the count above the table says when
# rows were left out.
OPEN_ALERTS_MAX_ROWS = 1000
HISTORY_PAGE_SIZE = 100
RULE_ERRORS_SHOWN = 1000
HISTORY_TYPES = ("OPEN", "REPEAT", "CANCEL")


def format_value(value: float | None) -> str:
    """A value at 5 significant digits (spec §8 ``textValue``); empty when unknown."""
    if value is None:
        return ""
    return round_significant(value)


def _name_or_contains(field: str, text: str) -> Q:
    """Patterns with * or ? match whole names as the API does; plain text is a substring
    search, which is what a person typing into a filter box expects. ``QueryError``
    ("Query 0: 'field': …") for text over the pattern length limit."""
    if has_wildcards(text):
        return name_q(field, text)
    return Q(**{f"{field}__icontains": pattern_arg(text, 0, field)})


def _page_error(exc: QueryError) -> str:
    return str(exc).removeprefix("Query 0: ")


# -- Open Alerts ----------------------------------------------------------------------------


def _open_alert_filters(request: HttpRequest) -> dict[str, str]:
    return {
        name: request.GET.get(name, "").strip()
        for name in ("rule", "entity", "severity", "acknowledged")
    }


def filtered_alerts(filters: dict[str, str]) -> QuerySet[Alert]:
    """Open alerts matching the page filters (unknown values simply match nothing)."""
    alerts = Alert.objects.all()
    if filters.get("rule"):
        alerts = alerts.filter(rule=filters["rule"])
    if filters.get("entity"):
        alerts = alerts.filter(_name_or_contains("entity", filters["entity"]))
    if filters.get("severity"):
        alerts = alerts.filter(severity=filters["severity"].upper())
    if filters.get("acknowledged") in ("yes", "no"):
        alerts = alerts.filter(acknowledged=filters["acknowledged"] == "yes")
    return alerts.order_by("-open_date", "id")


def _entity_labels(names: set[str]) -> dict[str, str]:
    return dict(
        Entity.objects.filter(name__in=names).exclude(label="").values_list("name", "label")
    )


def rule_links(names: set[str]) -> dict[str, str]:
    """Rule name → URL of its page; the rule list when the rule is gone (or the rule
    pages are not installed), so the "open rule" link never breaks the table."""
    ids = dict(Rule.objects.filter(name__in=names).values_list("name", "pk"))
    fallback = reverse("rule-list")
    links = {}
    for name in names:
        try:
            links[name] = reverse("rule-detail", args=[ids[name]])
        except (KeyError, NoReverseMatch):
            links[name] = f"{fallback}?{urlencode({'q': name})}"
    return links


def _rows_context(request: HttpRequest) -> dict[str, Any]:
    filters = _open_alert_filters(request)
    errors: list[str] = []
    try:
        alerts = filtered_alerts(filters)
    except QueryError as exc:
        errors.append(_page_error(exc))
        alerts = Alert.objects.none()
    total = alerts.count()
    shown = list(alerts[:OPEN_ALERTS_MAX_ROWS])
    labels = _entity_labels({a.entity for a in shown})
    links = rule_links({a.rule for a in shown})
    rows = [
        {
            "alert": a,
            "entity_label": labels.get(a.entity, ""),
            "rule_url": links[a.rule],
            # Message and property alerts have no number: their text is the value (§8).
            "value": format_value(a.value) or a.text_value,
            "open_value": format_value(a.open_value),
        }
        for a in shown
    ]
    return {
        "rows": rows,
        "errors": errors,
        "total": total,
        "truncated": total > len(shown),
        "filters": filters,
        "can_acknowledge": can_acknowledge(request.user),
        "is_administrator": is_administrator(request.user),
        "next_url": request.get_full_path(),
    }


@viewer_required
def open_alerts(request: HttpRequest) -> HttpResponse:
    """The Open Alerts page: filters, one row per open alert, actions per row."""
    context = _rows_context(request)
    # Back-links from the row forms return to the page, not to the rows endpoint.
    context.update(
        rules=Alert.objects.order_by("rule").values_list("rule", flat=True).distinct(),
        severities=SEVERITY_NAMES,
        page_query=request.GET.urlencode(),
    )
    return render(request, "rules/alerts_open.html", context)


@viewer_required
def open_alerts_rows(request: HttpRequest) -> JsonResponse:
    """The current table body of Open Alerts for the same filters, for the page's refresh:
    ``{"count": total matching, "shown": rows in html, "html": "<tr>…"}``."""
    context = _rows_context(request)
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        params = request.GET.copy()
        params.pop("next", None)
        next_url = reverse("open-alerts") + (f"?{params.urlencode()}" if params else "")
    context["next_url"] = next_url
    html = render_to_string("rules/alerts_open_rows.html", context, request=request)
    return JsonResponse(
        {"count": context["total"], "shown": len(context["rows"]), "html": html},
        headers={"Cache-Control": "no-store"},
    )


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("open-alerts")


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@viewer_required
def alert_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    """POST ``acknowledged=1|0``: set or clear the flag (administrators and operators).

    Acknowledging only sets the flag; notifications continue (spec §8). A GET shows
    the alert instead: an action URL opened in a browser should not change anything.
    """
    if request.method != "POST":
        return redirect("alert-detail", pk=pk)
    if not can_acknowledge(request.user):
        raise PermissionDenied("acknowledging needs the operator or administrator role")
    acknowledged = request.POST.get("acknowledged", "1") == "1"
    found = bool(Alert.objects.filter(pk=pk).update(acknowledged=acknowledged))
    if _wants_json(request):
        return JsonResponse({"id": pk, "acknowledged": acknowledged, "found": found})
    if not found:
        messages.error(request, f"Alert {pk} is no longer open.")
    return _back(request)


@administrator_required
@require_POST
def alert_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove an alert from the open-alert store (its window is untouched)."""
    deleted, _ = Alert.objects.filter(pk=pk).delete()
    if _wants_json(request):
        return JsonResponse({"id": pk, "deleted": bool(deleted)})
    if deleted:
        messages.success(request, f"Alert {pk} deleted.")
    else:
        messages.error(request, f"Alert {pk} is no longer open.")
    return _back(request)


# -- alert details ----------------------------------------------------------------------------

# Snapshot entries shown in their own sections or already among the alert fields.
_SNAPSHOT_SECTIONS = {"statistics", "variables", "times", "values", "actions", "line_values"}


def _snapshot_value(name: str, value: Any) -> str:
    if name.endswith("_time") and isinstance(value, int) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, tz=timezone.get_current_timezone()).isoformat(
            timespec="milliseconds"
        )
    if isinstance(value, float):
        return format_value(value)
    if value is None:
        return ""
    return str(value)


def _mapping_rows(data: Any) -> list[tuple[str, str]]:
    if not isinstance(data, dict):
        return []
    return [(str(k), _snapshot_value("", v)) for k, v in data.items()]


def snapshot_sections(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The alert's latest trigger snapshot split for display: window fields, statistics,
    variables and the window samples (time, value)."""
    fields = [
        (name, _snapshot_value(name, value))
        for name, value in sorted(snapshot.items())
        if name not in _SNAPSHOT_SECTIONS and not isinstance(value, dict | list)
    ]
    times, values = snapshot.get("times") or [], snapshot.get("values") or []
    samples = [
        (_snapshot_value("sample_time", t), _snapshot_value("", v))
        for t, v in zip(times, values, strict=False)
    ]
    return {
        "fields": fields,
        "statistics": _mapping_rows(snapshot.get("statistics")),
        "variables": _mapping_rows(snapshot.get("variables")),
        "samples": samples,
    }


@viewer_required
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One open alert: the window-view fields of spec §8, then its snapshot."""
    alert = get_object_or_404(Alert, pk=pk)
    snapshot = alert.snapshot if isinstance(alert.snapshot, dict) else {}
    received = snapshot.get("received_time")
    duration_s = max(0, int((timezone.now() - alert.open_date).total_seconds()))
    context = {
        "alert": alert,
        "entity_label": _entity_labels({alert.entity}).get(alert.entity, ""),
        "rule_url": rule_links({alert.rule})[alert.rule],
        "value": format_value(alert.value),
        "open_value": format_value(alert.open_value),
        "duration": format_duration_interval(duration_s),
        "received": _snapshot_value("received_time", received) if received else "",
        "snapshot": snapshot_sections(snapshot),
        "can_acknowledge": can_acknowledge(request.user),
        "is_administrator": is_administrator(request.user),
        "next_url": request.get_full_path(),
        "ack_link_uses": AckLinkUse.objects.filter(
            rule=alert.rule, window_key=alert.window_key, episode=alert.episode
        )[:20],
    }
    return render(request, "rules/alerts_detail.html", context)


# -- Alert History ----------------------------------------------------------------------------


def _history_filters(request: HttpRequest) -> tuple[dict[str, str], Q, list[str]]:
    filters = {
        name: request.GET.get(name, "").strip()
        for name in ("rule", "entity", "metric", "type", "start", "end")
    }
    q, errors = Q(), []
    for name in ("rule", "entity", "metric"):
        if filters[name]:
            try:
                q &= _name_or_contains(name, filters[name])
            except QueryError as exc:
                errors.append(_page_error(exc))
                q &= Q(pk__in=[])
    if filters["type"].upper() in HISTORY_TYPES:
        q &= Q(type=filters["type"].upper())
    # The date boxes take what the API takes: ISO dates, "now - 1 * DAY", "current_day".
    for name, lookup in (("start", "date__gte"), ("end", "date__lt")):
        if filters[name]:
            try:
                q &= Q(**{lookup: parse_date(filters[name], 0, name)})
            except QueryError as exc:
                errors.append(_page_error(exc))
    return filters, q, errors


@viewer_required
def alert_history(request: HttpRequest) -> HttpResponse:
    """Alert history, newest first, filtered and paged."""
    filters, q, errors = _history_filters(request)
    records = AlertHistory.objects.filter(q).order_by("-date", "-id")
    page = Paginator(records, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    for record in page:
        record.value_text = format_value(record.value)  # type: ignore[attr-defined]
        record.duration_text = (  # type: ignore[attr-defined]
            format_duration_interval(record.alert_duration // 1000) if record.alert_duration else ""
        )
    context = {
        "page_obj": page,
        "filters": filters,
        "errors": errors,
        "types": HISTORY_TYPES,
    }
    return render(request, "rules/alerts_history.html", context)


# -- Rule Errors ------------------------------------------------------------------------------


@viewer_required
def rule_errors(request: HttpRequest) -> HttpResponse:
    """The newest rule errors (bounded), optionally of one rule."""
    rule = request.GET.get("rule", "").strip()
    errors = RuleErrorRecord.objects.order_by("-time", "-id")
    if rule:
        errors = errors.filter(rule=rule)
    context = {
        "errors": errors[:RULE_ERRORS_SHOWN],
        "limit": RULE_ERRORS_SHOWN,
        "rule": rule,
        "rules": RuleErrorRecord.objects.order_by("rule").values_list("rule", flat=True).distinct(),
    }
    return render(request, "rules/rule_errors.html", context)
