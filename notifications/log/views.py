"""Notification Log page and ``/api/v1/notifications/log`` over ``DeliveryAttempt`` rows.

One row per request (spec §7.6) with its delivery's rule, entity, endpoint and
trigger. Filters: rule, endpoint, status (of the request: OK, ERROR, CANCELLED,
RETRY, SENDING (left, no answer recorded yet), UNKNOWN (its answer was lost and
the room could not be asked: sent again)) and a time range, the last week by
default. A row keeps the service's message id when the service gave one. Tokens
never appear: rows hold only redacted server texts and the rendered message preview.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_http_methods

from atsd_alerts.accounts import viewer_required
from atsd_alerts.api_auth import READ, api_view
from atsd_alerts.api_pages import RowBudget
from notifications.models import AttemptStatus, Delivery, DeliveryAttempt

PAGE_SIZE = 50
DEFAULT_PERIOD = timedelta(days=7)
API_DEFAULT_LIMIT = 1000
# Spec §7.6's statuses first, then ours.
STATUSES = (
    AttemptStatus.OK,
    AttemptStatus.ERROR,
    AttemptStatus.CANCELLED,
    AttemptStatus.RETRY,
    AttemptStatus.SENDING,
    AttemptStatus.UNKNOWN,
)


class FilterError(ValueError):
    """A filter value that cannot be used; the message names the field."""


@dataclass(frozen=True)
class LogFilters:
    """What to show: exact rule and endpoint names, request status, ``[start, end)``."""

    rule: str = ""
    endpoint: str = ""
    status: str = ""
    start: datetime | None = None
    end: datetime | None = None

    def queryset(self) -> QuerySet[DeliveryAttempt]:
        """Matching attempts, newest first, with their delivery."""
        rows = DeliveryAttempt.objects.select_related("delivery").order_by("-time", "-id")
        if self.rule:
            rows = rows.filter(delivery__rule_name=self.rule)
        if self.endpoint:
            rows = rows.filter(delivery__endpoint_name=self.endpoint)
        if self.status:
            rows = rows.filter(status=self.status)
        if self.start is not None:
            rows = rows.filter(time__gte=self.start)
        if self.end is not None:
            rows = rows.filter(time__lt=self.end)
        return rows


def _moment(value: Any, field: str) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise FilterError(f"{field}: expected an ISO date string")
    text = value.strip()
    if text.lower() == "now":
        return timezone.now()
    parsed = parse_datetime(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    if parsed is None:
        raise FilterError(f"{field}: {text!r} is not an ISO date such as 2024-05-01T00:00:00Z")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _text(value: Any, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise FilterError(f"{field}: expected a string")
    return value.strip()


def parse_filters(data: dict[str, Any], *, names: dict[str, str] | None = None) -> LogFilters:
    """Filters from page or API parameters; no start and no end = the last week.

    ``names`` maps our field names to the caller's (``startDate`` in the API).
    """
    names = {"rule": "rule", "endpoint": "endpoint", "status": "status"} | (names or {})
    names.setdefault("start", "start")
    names.setdefault("end", "end")
    status = _text(data.get(names["status"]), names["status"]).upper()
    if status and status not in STATUSES:
        raise FilterError(f"{names['status']}: one of {', '.join(STATUSES)}")
    start = _moment(data.get(names["start"]), names["start"])
    end = _moment(data.get(names["end"]), names["end"])
    if start is None and end is None:
        start = timezone.now() - DEFAULT_PERIOD
    return LogFilters(
        rule=_text(data.get(names["rule"]), names["rule"]),
        endpoint=_text(data.get(names["endpoint"]), names["endpoint"]),
        status=status,
        start=start,
        end=end,
    )


def row_json(attempt: DeliveryAttempt) -> dict[str, Any]:
    """One log row as the API returns it."""
    d = attempt.delivery
    return {
        "time": attempt.time.astimezone(UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),
        "rule": d.rule_name,
        "entity": d.entity,
        "endpoint": d.endpoint_name,
        "config": d.binding_name,
        "trigger": d.trigger,
        "repeatCount": d.repeat_count,
        "attempt": attempt.attempt,
        "request": attempt.request,
        "type": attempt.endpoint_kind,
        "responseCode": attempt.response_code,
        "latencyMs": None if attempt.latency_ms is None else round(attempt.latency_ms, 1),
        "status": attempt.status,
        "messageId": attempt.message_id,
        "error": attempt.error,
        "responseText": attempt.response_text,
        "message": d.message_preview,
        "deliveryStatus": d.status,
    }


@viewer_required
def notification_log(request: HttpRequest) -> HttpResponse:
    """The Notification Log page: filtered, newest first, paged."""
    errors: list[str] = []
    try:
        filters = parse_filters(request.GET.dict())
    except FilterError as exc:
        errors.append(str(exc))
        filters = parse_filters({})
    page = Paginator(filters.queryset(), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page_obj": page,
        "filters": {
            "rule": filters.rule,
            "endpoint": filters.endpoint,
            "status": filters.status,
            "start": request.GET.get("start", ""),
            "end": request.GET.get("end", ""),
        },
        "errors": errors,
        "statuses": STATUSES,
        "rules": Delivery.objects.exclude(rule_name="")  # storm digests name no rule
        .order_by("rule_name")
        .values_list("rule_name", flat=True)
        .distinct(),
        "endpoints": Delivery.objects.order_by("endpoint_name")
        .values_list("endpoint_name", flat=True)
        .distinct(),
    }
    return render(request, "notifications/log.html", context)


API_NAMES = {"start": "startDate", "end": "endDate"}


@require_http_methods(["GET", "POST"])
@api_view(READ)
def log_api(request: HttpRequest) -> HttpResponse:
    """``GET|POST /api/v1/notifications/log``: log rows as JSON, newest first.

    Parameters (query string for GET, a JSON object for POST): ``rule``,
    ``endpoint``, ``status``, ``startDate``/``endDate`` (ISO, end exclusive; neither =
    the last week), ``limit`` (default 1000; ≤ 0 or above ``API_MAX_PAGE_SIZE`` = that
    cap, see ``atsd_alerts.api_pages``). Bad input → 400 ``{"error": "<field>: <reason>"}``.
    """
    if request.method == "POST":
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            return JsonResponse({"error": "body: not valid JSON"}, status=400)
        if not isinstance(data, dict):
            return JsonResponse({"error": "body: expected a JSON object"}, status=400)
    else:
        data = request.GET.dict()
    try:
        filters = parse_filters(data, names=API_NAMES)
        limit = int(data.get("limit", API_DEFAULT_LIMIT))
    except FilterError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    except (TypeError, ValueError):
        return JsonResponse({"error": "limit: expected an integer"}, status=400)
    budget = RowBudget.from_settings()
    rows = budget.take(filters.queryset(), limit)
    return JsonResponse([row_json(a) for a in rows], safe=False, headers=budget.headers())
