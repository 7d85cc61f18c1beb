"""The editor's Test on history (``/rules/<id>/backtest/``, ``/rules/backtest/`` for a
new rule: the form's fields as posted) and ``POST /api/v1/rules/backtest`` (JSON, see
``rules.backtest.inputs``), both administrators only, as editing rules is. Both answer
the report of ``rules.backtest.report``, ``400 {"error", "field"}`` for a backtest that
cannot run as asked, or ``503 {"error"}`` when the series history cannot be read."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST
from redis import RedisError

from atsd_alerts.accounts import administrator_required
from atsd_alerts.api_auth import ADMINISTER, api_view
from rules.backtest.inputs import (
    BacktestRequest,
    definition_from_form,
    parse_hours,
    request_from_json,
)
from rules.backtest.limits import BacktestLimits, configured
from rules.backtest.report import build_report
from rules.backtest.runner import run_backtest
from rules.backtest.source import BacktestError
from rules.models import Rule

HOURS_FIELD = "backtest_hours"  # the editor's hours input, posted with the rule's fields


def _answer(parse: Callable[[BacktestLimits], BacktestRequest]) -> JsonResponse:
    limits = configured()
    try:
        asked = parse(limits)
        replay = run_backtest(asked.definition, asked.hours, limits)
    except BacktestError as exc:
        return JsonResponse({"error": str(exc), "field": exc.field}, status=400)
    except RedisError as exc:
        return JsonResponse({"error": f"series history unavailable: {exc}"}, status=503)
    return JsonResponse(build_report(replay, limits))


@administrator_required
@require_POST
def editor_backtest(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """The rule as the editor's form holds it (unsaved), over the asked hours."""
    rule = get_object_or_404(Rule, pk=pk) if pk is not None else None

    def parse(limits: BacktestLimits) -> BacktestRequest:
        hours = parse_hours(request.POST.get(HOURS_FIELD, "1"), limits)
        return BacktestRequest(definition_from_form(request.POST, rule), hours)

    return _answer(parse)


@api_view(ADMINISTER)
@require_POST
def api_backtest(request: HttpRequest) -> HttpResponse:
    return _answer(lambda limits: request_from_json(request.body, limits))
