"""What django-axes needs from this project: the client's address and the lockout answer.

Axes counts failed password checks (``/login/``, ``/admin/login/``, HTTP basic on the
APIs) per address and per username and refuses further checks for the cool-off time
once ``AXES_FAILURE_LIMIT`` is reached. A refused check costs no password hashing.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

API_PREFIX = "/api/"
TOO_MANY = 429


def client_address(request: HttpRequest) -> str:
    """The address failures are counted against.

    The TCP peer, unless ``TRUSTED_PROXY_COUNT`` proxies stand in front: each appends
    the address it saw to ``X-Forwarded-For``, so the client is that many entries from
    the right (entries further left are whatever the client chose to send).
    """
    peer = str(request.META.get("REMOTE_ADDR", ""))
    hops = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0))
    if hops <= 0:
        return peer
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [a for a in forwarded if a]
    return forwarded[-hops] if len(forwarded) >= hops else peer


def cool_off_seconds() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """429 with ``Retry-After``: JSON for the APIs, the login page with a notice otherwise."""
    seconds = cool_off_seconds()
    minutes = max(1, round(seconds / 60))
    message = f"Too many failed sign-in attempts: try again in {minutes} minutes."
    response: HttpResponse
    if request.path.startswith(API_PREFIX):
        response = JsonResponse({"error": message}, status=TOO_MANY)
    else:
        context = {"locked_out": message, "form": AuthenticationForm(request)}
        response = render(request, "registration/login.html", context, status=TOO_MANY)
    response["Retry-After"] = str(seconds)
    return response
