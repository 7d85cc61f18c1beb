"""``GET /metrics``: the Prometheus text format, for a signed-in reader or a bearer token.

A scraper sends ``Authorization: Bearer <METRICS_TOKEN>``; the token is compared in
constant time and, when ``METRICS_TOKEN`` is empty, no token is accepted. Without a
token, administrators and operators signed in to the UI may read the page; anyone else
gets 401 (or 403 when signed in without a reading role), never a redirect to the login
page, which a scraper could not follow.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder

from atsd_alerts.accounts import can_read
from atsd_alerts.metrics.collector import StackCollector


def _refused(status: int, reason: str) -> HttpResponse:
    response = JsonResponse({"error": reason}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
    return response


def token_matches(given: str) -> bool:
    """Whether ``given`` is the configured token (constant time; never when unset)."""
    expected = settings.METRICS_TOKEN
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def refusal(request: HttpRequest) -> HttpResponse | None:
    """Why ``request`` may not read the metrics, as the answer to give; None if it may."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        return None if token_matches(token.strip()) else _refused(401, "wrong metrics token")
    if can_read(request.user):
        return None
    if request.user.is_authenticated:
        return _refused(403, "administrators and operators only")
    return _refused(401, "sign in, or send Authorization: Bearer <METRICS_TOKEN>")


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    refused = refusal(request)
    if refused is not None:
        return refused
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StackCollector())
    # The Prometheus text format, or OpenMetrics when the scraper's Accept asks for it.
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    return HttpResponse(encode(registry), content_type=content_type)
