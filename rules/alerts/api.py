"""``/api/v1/alerts/{query,history/query,update,delete}`` (spec §8 "Data API").

Bodies are JSON arrays of queries; results of all queries are concatenated into one
array, no longer than ``API_MAX_PAGE_SIZE`` rows (``atsd_alerts.api_pages``). Every
malformed input is a ``400 {"error": ...}`` naming the query index and field; the
query functions below are plain and testable without HTTP.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_POST

from atsd_alerts.api_auth import ACKNOWLEDGE, ADMINISTER, READ, api_view
from atsd_alerts.api_pages import RowBudget
from rules.alerts.filters import (
    QueryError,
    date_filter,
    entity_filter,
    name_q,
    names_q,
    optional_string,
    optional_strings,
    parse_limit,
    parse_severity,
    severities_at_least,
    where,
)
from rules.models import Alert, AlertHistory, Metric

HISTORY_DEFAULT_LIMIT = 1000
ALERTS_DEFAULT_LIMIT = -1


class NotFound(Exception):
    """A query names something that does not exist (answered with 404)."""


# -- shapes -------------------------------------------------------------------------------


def format_date(moment: datetime | None) -> str | None:
    """ISO UTC with milliseconds, as ATSD prints them: ``2018-05-12T13:39:37.000Z``."""
    if moment is None:
        return None
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _number(value: float | None) -> float | None:
    # JSON has no NaN/Infinity; ATSD clients expect null there.
    if value is None or math.isnan(value) or math.isinf(value):
        return None
    return value


def alert_item(alert: Alert) -> dict[str, Any]:
    """One open alert in the field order of the spec §8 example."""
    return {
        "id": alert.pk,
        "entity": alert.entity,
        "tags": dict(alert.tags),
        "repeatCount": alert.repeat_count,
        "textValue": alert.text_value,
        "metric": alert.metric,
        "severity": alert.severity,
        "rule": alert.rule,
        "acknowledged": alert.acknowledged,
        "openDate": format_date(alert.open_date),
        "openValue": _number(alert.open_value),
        "lastEventDate": format_date(alert.last_event_date),
        "value": _number(alert.value),
    }


def history_item(row: AlertHistory) -> dict[str, Any]:
    """One history record like the spec §8 example; empty ``tags``/``ruleFilter`` and
    missing dates are omitted, as in ATSD's output."""
    item: dict[str, Any] = {
        "date": format_date(row.date),
        "entity": row.entity,
        "metric": row.metric,
    }
    if row.tags:
        item["tags"] = row.tags
    item.update(
        type=row.type,
        value=_number(row.value),
        alert=row.alert,
        severity=row.severity,
        rule=row.rule,
        ruleExpression=row.rule_expression,
    )
    if row.rule_filter:
        item["ruleFilter"] = row.rule_filter
    item.update(
        window=row.window,
        repeatCount=row.repeat_count,
        alertDuration=row.alert_duration,
    )
    dates = (("alertOpenDate", row.alert_open_date), ("receivedDate", row.received_date))
    for key, moment in dates:
        if moment is not None:
            item[key] = format_date(moment)
    return item


# -- request bodies -----------------------------------------------------------------------


def parse_body(raw: bytes) -> list[dict[str, Any]]:
    """The request body as a list of query objects, or ``QueryError``."""
    try:
        data = json.loads(raw.decode("utf-8") or "null")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise QueryError(f"Request body is not valid JSON: {exc}") from None
    if not isinstance(data, list):
        raise QueryError("Request body must be a JSON array of queries, e.g. [{...}]")
    for index, query in enumerate(data):
        if not isinstance(query, dict):
            raise QueryError(f"Query {index} must be a JSON object, got {type(query).__name__}")
    return data


def _optional_bool(query: dict[str, Any], index: int, field: str) -> bool | None:
    value = query.get(field)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise QueryError(f"{where(index, field)} must be true or false, got {value!r}")
    return value


def _alert_id(item: dict[str, Any], index: int) -> int:
    value = item.get("id")
    if isinstance(value, bool) or not isinstance(value, int):
        raise QueryError(f"{where(index, 'id')} must be an integer, got {value!r}")
    return value


# -- queries ------------------------------------------------------------------------------


def query_alerts(
    queries: list[dict[str, Any]], now: datetime | None = None, budget: RowBudget | None = None
) -> list[dict[str, Any]]:
    """Open alerts matching each query (dates on ``openDate``), concatenated, within
    ``budget`` (default: the configured row cap).

    Every query is validated before any is run, so a bad one costs no database work.
    """
    budget = budget or RowBudget.from_settings()
    plans = []
    for index, query in enumerate(queries):
        q = entity_filter(query, index) & date_filter(query, index, now).q("open_date")
        rules = optional_strings(query, index, "rules")
        if rules:
            q &= names_q("rule", rules, index, "rules")
        metrics = optional_strings(query, index, "metrics")
        if metrics:
            q &= names_q("metric", metrics, index, "metrics")
        severities = optional_strings(query, index, "severities")
        if severities:
            q &= names_q(
                "severity",
                [parse_severity(s, index, "severities") for s in severities],
            )
        if query.get("minSeverity") is not None:
            floor = parse_severity(query["minSeverity"], index, "minSeverity")
            q &= names_q("severity", severities_at_least(floor))
        acknowledged = _optional_bool(query, index, "acknowledged")
        if acknowledged is not None:
            q &= Q(acknowledged=acknowledged)
        plans.append((q, parse_limit(query, index, ALERTS_DEFAULT_LIMIT)))
    out: list[dict[str, Any]] = []
    for q, limit in plans:
        rows = Alert.objects.filter(q).order_by("-open_date", "id")
        out.extend(alert_item(a) for a in budget.take(rows, limit))
    return out


def _metric_known(name: str) -> bool:
    return (
        Metric.objects.filter(name__iexact=name).exists()
        or AlertHistory.objects.filter(metric__iexact=name).exists()
    )


def query_history(
    queries: list[dict[str, Any]], now: datetime | None = None, budget: RowBudget | None = None
) -> list[dict[str, Any]]:
    """Alert history records matching each query (dates on ``date``), newest first,
    concatenated, within ``budget`` (default: the configured row cap). Raises
    ``NotFound`` for a metric nobody has seen."""
    budget = budget or RowBudget.from_settings()
    plans = []
    for index, query in enumerate(queries):
        q = entity_filter(query, index) & date_filter(query, index, now).q("date")
        rule = optional_string(query, index, "rule")
        if rule:
            q &= name_q("rule", rule, index, "rule")
        rules = optional_strings(query, index, "rules")
        if rules:
            q &= names_q("rule", rules, index, "rules")
        metric = optional_string(query, index, "metric")
        if metric:
            q &= name_q("metric", metric, index, "metric")
        plans.append((q, parse_limit(query, index, HISTORY_DEFAULT_LIMIT), metric))
    for _q, _limit, metric in plans:
        if metric and not any(c in metric for c in "*?") and not _metric_known(metric):
            raise NotFound(f"Metric {metric} not found")
    out: list[dict[str, Any]] = []
    for q, limit, _metric in plans:
        rows = AlertHistory.objects.filter(q).order_by("-date", "-id")
        out.extend(history_item(r) for r in budget.take(rows, limit))
    return out


def update_alerts(items: list[dict[str, Any]]) -> int:
    """Set ``acknowledged`` (missing = false) on each listed alert; unknown ids are
    ignored. All items are validated before anything changes. Returns rows changed."""
    changes = []
    for index, item in enumerate(items):
        alert_id = _alert_id(item, index)
        changes.append((alert_id, bool(_optional_bool(item, index, "acknowledged"))))
    changed = 0
    with transaction.atomic():
        for alert_id, acknowledged in changes:
            changed += Alert.objects.filter(pk=alert_id).update(acknowledged=acknowledged)
    return changed


def delete_alerts(items: list[dict[str, Any]]) -> int:
    """Remove the listed alerts from the open-alert store (their windows are untouched:
    a later OPEN creates a new alert). Unknown ids are ignored. Returns rows deleted."""
    ids = [_alert_id(item, index) for index, item in enumerate(items)]
    deleted, _ = Alert.objects.filter(pk__in=ids).delete()
    return deleted


# -- views --------------------------------------------------------------------------------


def _bad_request(exc: Exception) -> JsonResponse:
    return JsonResponse({"error": str(exc)}, status=400)


@require_POST
@api_view(READ)
def alerts_query(request: HttpRequest) -> HttpResponse:
    """``POST /api/v1/alerts/query``: open alerts, one array for all queries."""
    budget = RowBudget.from_settings()
    try:
        result = query_alerts(parse_body(request.body), budget=budget)
    except QueryError as exc:
        return _bad_request(exc)
    return JsonResponse(result, safe=False, headers=budget.headers())


@require_POST
@api_view(READ)
def history_query(request: HttpRequest) -> HttpResponse:
    """``POST /api/v1/alerts/history/query``: history records, newest first."""
    budget = RowBudget.from_settings()
    try:
        result = query_history(parse_body(request.body), budget=budget)
    except QueryError as exc:
        return _bad_request(exc)
    except NotFound as exc:
        return JsonResponse({"error": str(exc)}, status=404)
    return JsonResponse(result, safe=False, headers=budget.headers())


@require_POST
@api_view(ACKNOWLEDGE)
def alerts_update(request: HttpRequest) -> HttpResponse:
    """``POST /api/v1/alerts/update``: acknowledge / un-acknowledge; 200 with empty body."""
    try:
        update_alerts(parse_body(request.body))
    except QueryError as exc:
        return _bad_request(exc)
    return HttpResponse(status=200)


@require_POST
@api_view(ADMINISTER)
def alerts_delete(request: HttpRequest) -> HttpResponse:
    """``POST /api/v1/alerts/delete``: remove open alerts; 200 with empty body."""
    try:
        delete_alerts(parse_body(request.body))
    except QueryError as exc:
        return _bad_request(exc)
    return HttpResponse(status=200)
