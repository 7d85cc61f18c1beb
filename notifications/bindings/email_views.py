"""The rule's Email Notifications tab: ``/rules/<pk>/notifications/email/``.

Email bindings live on the rule (``Rule.email_notifications_xml``, read and written
through ``rules.contract.rule_bindings``); a binding is addressed by its position in
the rule. Everybody signed in reads the list; adding, editing and deleting is for
administrators (``design.md`` invariant 7). Every change rewrites the rule's elements
in one transaction and the engine reloads the rule's actions after commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache

from atsd_alerts.accounts import administrator_required, is_administrator, viewer_required
from notifications.bindings.email_forms import EmailBindingForm
from notifications.models import MailClient
from rules.contract.bindings import TRIGGERS
from rules.contract.email_bindings import (
    EmailNotificationError,
    EmailNotificationSpec,
    default_name,
)
from rules.contract.rule_bindings import email_notification_specs, save_email_notifications
from rules.models.rule import Rule

logger = logging.getLogger(__name__)

Change = Callable[[list[EmailNotificationSpec]], list[EmailNotificationSpec]]


def _specs(rule: Rule) -> list[EmailNotificationSpec]:
    try:
        return email_notification_specs(rule)
    except EmailNotificationError as exc:
        raise Http404(f"an email notification of this rule cannot be read: {exc}") from None


def _change(rule: Rule, change: Change) -> None:
    """Apply ``change`` to the rule's bindings as they are now, one editor at a time."""
    with transaction.atomic():
        locked = Rule.objects.select_for_update().get(pk=rule.pk)
        save_email_notifications(locked, change(_specs(locked)))


@viewer_required
def email_binding_list(request: HttpRequest, pk: int) -> HttpResponse:
    """The rule's email bindings: recipients, triggers, repeat."""
    rule = get_object_or_404(Rule, pk=pk)
    bindings = [
        {
            "index": index,
            "spec": spec,
            "triggers": [t.upper() for t in TRIGGERS if spec.enabled_on(t)],
            "subject": spec.sends("open").subject,
        }
        for index, spec in enumerate(_specs(rule))
    ]
    context = {
        "rule": rule,
        "bindings": bindings,
        "can_edit": is_administrator(request.user),
        "mail_client": MailClient.load(),
    }
    return render(request, "notifications/email_bindings_list.html", context)


def _edit(request: HttpRequest, rule: Rule, index: int | None) -> HttpResponse:
    specs = _specs(rule)
    if index is not None and not 0 <= index < len(specs):
        raise Http404("no such email notification")
    names = {s.name for i, s in enumerate(specs) if i != index}
    if index is None:
        number = len(specs)
        while default_name(number) in names:
            number += 1
        spec = EmailNotificationSpec(default_name(number))
    else:
        spec = specs[index]
    data = request.POST if request.method == "POST" else None
    form = EmailBindingForm(data, taken=names, spec=spec)
    if request.method != "POST" or not form.is_valid():
        context = {"rule": rule, "form": form, "index": index, "blocks": form.trigger_blocks()}
        status = 400 if request.method == "POST" else 200
        return render(request, "notifications/email_binding_form.html", context, status=status)
    edited = form.spec_of_form()

    def put(current: list[EmailNotificationSpec]) -> list[EmailNotificationSpec]:
        if index is None:
            return [*current, edited]
        return [edited if i == index else s for i, s in enumerate(current)]

    _change(rule, put)
    messages.success(request, f"Email notification {edited.name} saved.")
    logger.info("email binding %r of rule %r saved by %s", edited.name, rule.name, request.user)
    return redirect("rule-email-notifications", pk=rule.pk)


@administrator_required
@never_cache
def email_binding_create(request: HttpRequest, pk: int) -> HttpResponse:
    return _edit(request, get_object_or_404(Rule, pk=pk), None)


@administrator_required
@never_cache
def email_binding_edit(request: HttpRequest, pk: int, index: int) -> HttpResponse:
    return _edit(request, get_object_or_404(Rule, pk=pk), index)


@administrator_required
def email_binding_delete(request: HttpRequest, pk: int, index: int) -> HttpResponse:
    """GET asks for confirmation; POST deletes the binding."""
    rule = get_object_or_404(Rule, pk=pk)
    specs = _specs(rule)
    if not 0 <= index < len(specs):
        raise Http404("no such email notification")
    name = specs[index].name
    if request.method == "POST":
        _change(rule, lambda current: [s for s in current if s.name != name])
        messages.success(request, f"Email notification {name} deleted.")
        logger.info("email binding %r of rule %r deleted by %s", name, rule.name, request.user)
        return redirect("rule-email-notifications", pk=rule.pk)
    context = {"rule": rule, "name": name}
    return render(request, "notifications/email_binding_confirm_delete.html", context)
