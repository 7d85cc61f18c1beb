"""Roles: administrators edit and import; operators read everything and acknowledge;
collectors only write data through the ingestion APIs.

A signed-in user with no role, or with only the collector role, reads nothing: pages
answer 403 and read APIs 403 (``design.md`` invariant 7, least privilege).
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

ADMINISTRATORS = "administrators"
OPERATORS = "operators"
# Users (usually service accounts of collectors) allowed to write data, as ATSD's API_DATA_WRITE.
COLLECTORS = "collectors"


def is_administrator(user: Any) -> bool:
    if not user.is_authenticated:
        return False
    return bool(user.is_superuser or user.groups.filter(name=ADMINISTRATORS).exists())


def can_read(user: Any) -> bool:
    """Pages and read APIs: administrators and operators."""
    if not user.is_authenticated:
        return False
    return is_administrator(user) or user.groups.filter(name=OPERATORS).exists()


def can_acknowledge(user: Any) -> bool:
    """Acknowledging alerts: whoever may read them (administrators, operators)."""
    return can_read(user)


def can_write_data(user: Any) -> bool:
    if not user.is_authenticated:
        return False
    return is_administrator(user) or user.groups.filter(name=COLLECTORS).exists()


def roles_context(request: HttpRequest) -> dict[str, bool]:
    user = getattr(request, "user", None)
    return {"is_administrator": bool(user is not None and is_administrator(user))}


View = Callable[..., HttpResponse]


def viewer_required(view: View) -> View:
    """A page for readers (administrators, operators); other signed-in users get 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not can_read(request.user):
            raise PermissionDenied("administrators and operators only")
        return view(request, *args, **kwargs)

    return login_required(wrapper)


def administrator_required(view: View) -> View:
    """An editing page: administrators only, everybody else signed in gets 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_administrator(request.user):
            raise PermissionDenied("administrators only")
        return view(request, *args, **kwargs)

    guarded = login_required(wrapper)
    guarded.editing = True  # type: ignore[attr-defined]
    return guarded
