"""Authentication for the JSON and command APIs: HTTP basic, API tokens or the session.

ATSD clients send HTTP basic credentials; scripts may use ``Authorization: Bearer``
with a token from the API tokens page. A browser session also works, with the
usual CSRF check, so pages can call the same API. Failed basic-auth passwords count
towards the lockout of ``atsd_alerts.throttling`` (429 once locked out); requests from
another site are refused before they get here (``atsd_alerts.cross_site``).
"""

import base64
import binascii
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth import authenticate
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from atsd_alerts import accounts
from atsd_alerts.models import ApiToken, hash_token
from atsd_alerts.throttling import lockout_response

READ = "read"
ACKNOWLEDGE = "acknowledge"
WRITE_DATA = "write-data"
ADMINISTER = "administer"

_ALLOWED: dict[str, Callable[[Any], bool]] = {
    READ: accounts.can_read,
    ACKNOWLEDGE: accounts.can_acknowledge,
    WRITE_DATA: accounts.can_write_data,
    ADMINISTER: accounts.is_administrator,
}


def _unauthorized(reason: str) -> HttpResponse:
    response = JsonResponse({"error": reason}, status=401)
    response["WWW-Authenticate"] = 'Basic realm="atsd-alerts"'
    return response


def _user_from_header(request: HttpRequest, header: str) -> Any | None:
    scheme, _, credentials = header.partition(" ")
    scheme = scheme.lower()
    if scheme == "basic":
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        username, sep, password = decoded.partition(":")
        if not sep:
            return None
        # With the request, so that axes counts failures and refuses locked-out clients.
        return authenticate(request, username=username, password=password)
    if scheme in {"bearer", "token"}:
        token = (
            ApiToken.objects.select_related("user")
            .filter(token_hash=hash_token(credentials.strip()))
            .first()
        )
        if token is None or not token.user.is_active:
            return None
        now = timezone.now()
        if token.last_used is None or (now - token.last_used).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used=now)
        return token.user
    return None


def _no_view(request: HttpRequest) -> HttpResponse:
    """Stands in for the view in the CSRF check: not marked csrf_exempt, so it checks."""
    return HttpResponse()


def api_view(role: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Guard an API view: 401 without valid credentials, 403 without ``role``."""
    allowed = _ALLOWED[role]

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            header = request.META.get("HTTP_AUTHORIZATION", "")
            if header:
                user = _user_from_header(request, header)
                if user is None:
                    if getattr(request, "axes_locked_out", False):
                        return lockout_response(request)
                    return _unauthorized("Invalid credentials")
                request.user = user
            elif request.user.is_authenticated:
                # A new middleware per check: it caches the trusted-origin settings.
                rejected = CsrfViewMiddleware(_no_view).process_view(request, _no_view, (), {})
                if rejected is not None:
                    return JsonResponse({"error": "CSRF check failed"}, status=403)
            else:
                return _unauthorized("Authentication required")
            if not allowed(request.user):
                return JsonResponse({"error": f"Forbidden: requires the {role} role"}, status=403)
            return view(request, *args, **kwargs)

        wrapper.api_role = role  # type: ignore[attr-defined]
        wrapper.editing = role in {WRITE_DATA, ADMINISTER}  # type: ignore[attr-defined]
        return wrapper

    return decorate
