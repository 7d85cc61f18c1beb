"""Roles: administrators edit and import; operators read everything and acknowledge."""

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


def can_acknowledge(user: Any) -> bool:
    if not user.is_authenticated:
        return False
    return is_administrator(user) or user.groups.filter(name=OPERATORS).exists()


def can_write_data(user: Any) -> bool:
    if not user.is_authenticated:
        return False
    return is_administrator(user) or user.groups.filter(name=COLLECTORS).exists()


def roles_context(request: HttpRequest) -> dict[str, bool]:
    user = getattr(request, "user", None)
    return {"is_administrator": bool(user is not None and is_administrator(user))}


View = Callable[..., HttpResponse]


def viewer_required(view: View) -> View:
    """A page any signed-in user may read."""
    return login_required(view)


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
