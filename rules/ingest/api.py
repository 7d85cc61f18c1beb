"""HTTP ingestion: ``POST /api/v1/command`` and ``POST /api/v1/series/insert`` (spec §1.4).

Bodies are read as bounded streams (:mod:`rules.ingest.body`); a body over the limit,
as sent or inflated, is refused with 413. When Redis or the database is unavailable
the answer is 503 with ``Retry-After``: nothing answered with success is left
anywhere but in Redis.
"""

import logging
import time

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_POST

from atsd_alerts.api_auth import WRITE_DATA, api_view
from rules.events import Event
from rules.ingest.batch import parse_body
from rules.ingest.body import BodyError, BodyTooLarge, body_chunks, read_body
from rules.ingest.pipeline import HandOffResult, Unavailable, hand_off
from rules.ingest.series_insert import SeriesInsertError, parse_series_insert

log = logging.getLogger(__name__)


def _body_error(exc: BodyError) -> JsonResponse:
    return JsonResponse({"error": str(exc)}, status=413 if isinstance(exc, BodyTooLarge) else 400)


def _hand_off(events: list[Event], commands: int) -> HandOffResult | HttpResponse:
    try:
        return hand_off(events, commands)
    except Unavailable as exc:
        log.error("ingest unavailable, %d events not accepted: %s", len(events) - exc.done, exc)
        response = JsonResponse({"error": f"Service unavailable, retry later: {exc}"}, status=503)
        response["Retry-After"] = str(settings.INGEST_RETRY_AFTER)
        return response


@require_POST
@api_view(WRITE_DATA)
def command(request: HttpRequest) -> HttpResponse:
    """Lines are processed one by one; a bad line is reported and skipped, never fatal.

    Answers ATSD's ``{"fail", "success", "total"}`` plus ``errors``: the line number
    and reason of the first ``INGEST_MAX_ERRORS_LISTED`` failed lines, and
    ``errors_not_listed`` when there were more; after ``INGEST_MAX_FAILED_LINES``
    failed lines the rest of the body is not read and ``stopped`` names the line.
    """
    receive_ms = int(time.time() * 1000)
    try:
        chunks = body_chunks(request, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        result = parse_body(
            chunks,
            receive_ms,
            settings.INGEST_MAX_ERRORS_LISTED,
            settings.INGEST_MAX_FAILED_LINES,
        )
    except BodyError as exc:
        return _body_error(exc)
    outcome = _hand_off(result.events, result.success)
    if isinstance(outcome, HttpResponse):
        return outcome
    result.refuse(outcome.refused)
    if result.stopped_at is not None:
        log.warning(
            "command body read up to line %d only: %d failed lines", result.stopped_at, result.fail
        )
    return JsonResponse(result.summary())


@require_POST
@api_view(WRITE_DATA)
def series_insert(request: HttpRequest) -> HttpResponse:
    """ATSD's JSON insert: a validation error rejects the whole request."""
    try:
        payload = read_body(request, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    except BodyError as exc:
        return _body_error(exc)
    try:
        events = parse_series_insert(payload, receive_ms=int(time.time() * 1000))
    except SeriesInsertError as exc:
        return JsonResponse({"error": exc.message}, status=exc.status)
    outcome = _hand_off(events, len(events))
    if isinstance(outcome, HttpResponse):
        return outcome
    if outcome.refused:
        index, reason = outcome.refused[0]
        first = events[index]
        stored = len(events) - len(outcome.refused)
        message = (
            f"IllegalArgumentException: {len(outcome.refused)} samples not stored "
            f"({stored} stored), the first of entity {first.entity!r}, metric "
            f"{first.metric!r}: {reason}"
        )
        return JsonResponse({"error": message}, status=400)
    return HttpResponse(status=200)
