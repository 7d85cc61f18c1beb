"""HTTP ingestion: ``POST /api/v1/command`` and ``POST /api/v1/series/insert`` (spec §1.4)."""

import logging
import time
import zlib

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_POST
from kombu.exceptions import OperationalError

from atsd_alerts.api_auth import WRITE_DATA, api_view
from rules.ingest.batch import parse_body
from rules.ingest.pipeline import hand_off
from rules.ingest.series_insert import SeriesInsertError, parse_series_insert

log = logging.getLogger(__name__)


class BodyError(ValueError):
    pass


def _body_text(request: HttpRequest) -> str:
    raw = request.body
    if request.META.get("HTTP_CONTENT_ENCODING", "").lower() == "gzip":
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE * 10
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            raw = inflater.decompress(raw, limit)
        except zlib.error as exc:
            raise BodyError(f"gzip body cannot be decoded: {exc}") from exc
        if inflater.unconsumed_tail:
            raise BodyError(f"gzip body inflates to more than {limit} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyError(f"body is not UTF-8: byte {exc.start}: {exc.reason}") from exc


def _hand_off(events: list, commands: int) -> HttpResponse | None:
    try:
        hand_off(events, commands)
    except OperationalError as exc:
        log.error("broker unavailable, %d events refused: %s", len(events), exc)
        return JsonResponse({"error": "Broker unavailable, nothing was accepted"}, status=503)
    return None


@require_POST
@api_view(WRITE_DATA)
def command(request: HttpRequest) -> HttpResponse:
    """Lines are processed one by one; a bad line is reported and skipped, never fatal.

    Answers ATSD's ``{"fail", "success", "total"}`` plus ``errors``: the line number
    and reason of every failed line.
    """
    try:
        text = _body_text(request)
    except BodyError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    result = parse_body(text, receive_ms=int(time.time() * 1000))
    refused = _hand_off(result.events, result.success)
    if refused is not None:
        return refused
    return JsonResponse(result.summary())


@require_POST
@api_view(WRITE_DATA)
def series_insert(request: HttpRequest) -> HttpResponse:
    """ATSD's JSON insert: a validation error rejects the whole request."""
    try:
        events = parse_series_insert(request.body, receive_ms=int(time.time() * 1000))
    except SeriesInsertError as exc:
        return JsonResponse({"error": exc.message}, status=exc.status)
    refused = _hand_off(events, len(events))
    if refused is not None:
        return refused
    return HttpResponse(status=200)
