"""Refuse state-changing requests that a browser sent on behalf of another site.

A browser that holds HTTP basic credentials for this server (or a session cookie)
attaches them to requests that any other site's page makes, so credentials alone
do not show that the user meant the request. Browsers say where a request comes
from: ``Origin`` on every cross-origin POST, and ``Sec-Fetch-Site`` in current
browsers. An unsafe request (anything but GET, HEAD, OPTIONS, TRACE) is refused with
403 when ``Sec-Fetch-Site`` is ``cross-site`` or ``Origin`` is present and names
neither this server nor one of ``CSRF_TRUSTED_ORIGINS``. Collectors and scripts
send neither header and are not affected; the session CSRF token check of Django
still runs after this for pages.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.utils.http import is_same_domain

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
REFUSED = "Cross-site request refused"


def trusted_origin(request: HttpRequest, origin: str) -> bool:
    """True when ``origin`` is this server's own or matches ``CSRF_TRUSTED_ORIGINS``.

    Entries of ``CSRF_TRUSTED_ORIGINS`` may use ``*.`` for subdomains, as Django's
    own CSRF check accepts them.
    """
    if origin == f"{request.scheme}://{request.get_host()}":
        return True
    try:
        parts = urlsplit(origin)
        host = parts.netloc.lower()
    except ValueError:
        return False
    for trusted in settings.CSRF_TRUSTED_ORIGINS:
        if trusted == origin:
            return True
        allowed = urlsplit(trusted)
        wildcard = allowed.netloc.startswith("*")
        if wildcard and allowed.scheme == parts.scheme and is_same_domain(host, allowed.netloc[1:]):
            return True
    return False


def cross_site_reason(request: HttpRequest) -> str:
    """Why ``request`` counts as sent by another site, or ``''`` when it does not."""
    if request.method in SAFE_METHODS:
        return ""
    if request.META.get("HTTP_SEC_FETCH_SITE", "").lower() == "cross-site":
        return "Sec-Fetch-Site is cross-site"
    origin = request.META.get("HTTP_ORIGIN")
    if origin is not None and not trusted_origin(request, origin):
        return f"Origin {origin[:100]!r} is not this server"
    return ""


class CrossSiteRequestMiddleware:
    """403 for unsafe requests from another site, whatever credentials they carry."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        reason = cross_site_reason(request)
        if reason:
            if request.path.startswith("/api/"):
                return JsonResponse({"error": f"{REFUSED}: {reason}"}, status=403)
            return HttpResponseForbidden(f"{REFUSED}: {reason}.", content_type="text/plain")
        return self.get_response(request)
