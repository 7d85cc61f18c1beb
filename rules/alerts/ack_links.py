"""The page an acknowledge link from a notification opens (rules.contract.ack_links).

No login is needed: the signed token is the permission, for this one action on this
one alert episode. A GET only shows the alert and a confirmation button, so that chat
clients fetching the link for a preview acknowledge nothing; the POST of that button
acknowledges, as the Open Alerts page does (the alert's ``acknowledged`` flag). Every
opening is logged (``AckLinkUse``: address, user agent, user, time, outcome). An
expired or altered link gets a page that says so, never an error.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from rules.contract.ack_links import AckLinkError, AckTarget, read_ack_token
from rules.models import AckLinkUse, Alert

log = logging.getLogger(__name__)
Outcome = AckLinkUse.Outcome


def _log_use(request: HttpRequest, outcome: str, target: AckTarget | None = None) -> AckLinkUse:
    user = request.user
    use = AckLinkUse.objects.create(
        outcome=outcome,
        method=request.method or "",
        rule=target.rule if target else "",
        window_key=target.window_key if target else "",
        episode=target.episode if target else None,
        address=(request.META.get("REMOTE_ADDR") or "")[:64],
        user_agent=request.headers.get("User-Agent", "")[:512],
        username=user.get_username() if user.is_authenticated else "",
    )
    log.info(
        "acknowledge link %s: rule=%r window=%r from %s (%s)",
        outcome, use.rule, use.window_key, use.address, use.user_agent[:100],
    )  # fmt: skip
    return use


def _alert(target: AckTarget) -> Alert | None:
    return Alert.objects.filter(
        rule=target.rule, window_key=target.window_key, episode=target.episode
    ).first()


@require_http_methods(["GET", "POST"])
def acknowledge_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET: the alert and a confirmation button; POST: acknowledge it (idempotent)."""
    try:
        target = read_ack_token(token)
    except AckLinkError as exc:
        _log_use(request, Outcome.EXPIRED if exc.expired else Outcome.INVALID)
        context = {"problem": str(exc), "expired": exc.expired}
        return render(request, "rules/ack_link.html", context, status=410 if exc.expired else 400)
    alert = _alert(target)
    if alert is None:
        _log_use(request, Outcome.CLOSED, target)
        return render(request, "rules/ack_link.html", {"target": target, "closed": True})
    if request.method == "POST":
        updated = Alert.objects.filter(pk=alert.pk, acknowledged=False).update(acknowledged=True)
        _log_use(request, Outcome.ACKNOWLEDGED if updated else Outcome.ALREADY, target)
        alert.acknowledged = True
        return render(request, "rules/ack_link.html", {"alert": alert, "done": bool(updated)})
    _log_use(request, Outcome.ALREADY if alert.acknowledged else Outcome.VIEWED, target)
    context = {"alert": alert, "confirm": True, "silences_repeats": settings.ACK_SILENCES_REPEATS}
    return render(request, "rules/ack_link.html", context)
