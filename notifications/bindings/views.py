"""The rule's Web Notifications tab: ``/rules/<pk>/notifications/``.

Everybody signed in reads the list; adding, editing and deleting bindings is for
administrators (``design.md`` invariant 7). Every change writes the row and the
rule's ``web_notifications_xml`` in one transaction (``sync.publish_bindings``).
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache

from atsd_alerts.accounts import administrator_required, is_administrator, viewer_required
from notifications.bindings.forms import BindingForm
from notifications.bindings.sync import publish_bindings
from notifications.models import Endpoint, RuleNotification
from rules.contract.bindings import TRIGGERS
from rules.models.rule import Rule

logger = logging.getLogger(__name__)


def _triggers(row: RuleNotification) -> list[str]:
    return [t.upper() for t in TRIGGERS if getattr(row, f"{t}_enabled")]


def _message(row: RuleNotification) -> str:
    for key in ("message", "text", "content"):
        if row.open_params.get(key):
            return row.open_params[key]
    return ""


@viewer_required
def binding_list(request: HttpRequest, pk: int) -> HttpResponse:
    """The rule's bindings with endpoint, triggers, and an *unresolved* badge."""
    rule = get_object_or_404(Rule, pk=pk)
    rows = list(RuleNotification.objects.filter(rule_name=rule.name).order_by("position", "id"))
    endpoints = Endpoint.objects.in_bulk([r.endpoint_name for r in rows], field_name="name")
    bindings = [
        {
            "row": row,
            "endpoint": endpoints.get(row.endpoint_name),
            "triggers": _triggers(row),
            "message": _message(row),
            "strategy": row.repeat_strategy or {},
        }
        for row in rows
    ]
    context = {"rule": rule, "bindings": bindings, "can_edit": is_administrator(request.user)}
    return render(request, "notifications/bindings_list.html", context)


def _render_form(
    request: HttpRequest, rule: Rule, form: BindingForm, status: int = 200
) -> HttpResponse:
    context: dict[str, Any] = {
        "rule": rule,
        "form": form,
        "binding": form.instance,
        "blocks": form.trigger_blocks(),
        "has_endpoints": Endpoint.objects.exists(),
    }
    return render(request, "notifications/bindings_form.html", context, status=status)


def _edit(request: HttpRequest, rule: Rule, row: RuleNotification | None) -> HttpResponse:
    if request.method != "POST":
        form = BindingForm(rule=rule, instance=row, endpoint_name=request.GET.get("endpoint", ""))
        return _render_form(request, rule, form)
    form = BindingForm(request.POST, rule=rule, instance=row)
    if "refresh" in request.POST:
        # The endpoint changed: show its parameters, keep what was typed, save nothing.
        return _render_form(request, rule, form)
    if not form.is_valid():
        return _render_form(request, rule, form, status=400)
    with transaction.atomic():
        Rule.objects.select_for_update().filter(pk=rule.pk).first()  # one editor at a time
        saved = form.save()
        publish_bindings(rule)
    for line in form.warning_messages():
        messages.warning(request, line)
    messages.success(request, f"Web notification {saved.name} saved.")
    logger.info("binding %r of rule %r saved by %s", saved.name, rule.name, request.user)
    return redirect("rule-notifications", pk=rule.pk)


@administrator_required
@never_cache
def binding_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a binding; ``?endpoint=<name>`` preselects an endpoint."""
    return _edit(request, get_object_or_404(Rule, pk=pk), None)


@administrator_required
@never_cache
def binding_edit(request: HttpRequest, pk: int, binding_pk: int) -> HttpResponse:
    rule = get_object_or_404(Rule, pk=pk)
    row = get_object_or_404(RuleNotification, pk=binding_pk, rule_name=rule.name)
    return _edit(request, rule, row)


@administrator_required
def binding_delete(request: HttpRequest, pk: int, binding_pk: int) -> HttpResponse:
    """GET asks for confirmation; POST deletes the binding and rewrites the rule's XML."""
    rule = get_object_or_404(Rule, pk=pk)
    row = get_object_or_404(RuleNotification, pk=binding_pk, rule_name=rule.name)
    if request.method == "POST":
        with transaction.atomic():
            Rule.objects.select_for_update().filter(pk=rule.pk).first()
            row.delete()
            publish_bindings(rule)
        messages.success(request, f"Web notification {row.name} deleted.")
        logger.info("binding %r of rule %r deleted by %s", row.name, rule.name, request.user)
        return redirect("rule-notifications", pk=rule.pk)
    context = {"rule": rule, "binding": row}
    return render(request, "notifications/bindings_confirm_delete.html", context)
