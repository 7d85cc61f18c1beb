"""Alerts > Rules: list, read-only view, editor, delete, enable toggle, import, export.

Views only route requests: validation lives in ``rules.editor.forms``, import and
export in ``rules.rulesxml``. Every rule URL uses the database id because rule
names may hold any character (slashes, spaces) and the name is immutable.
"""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from atsd_alerts.accounts import administrator_required, is_administrator, viewer_required
from rules.editor.forms import ImportForm, RuleForm, display_window
from rules.models import Alert
from rules.models.rule import Rule
from rules.rulesxml import export_rules

logger = logging.getLogger(__name__)

PAGE_SIZE = 100
_ID_RE = re.compile(r"[0-9]{1,18}")
EXPORT_FILENAME = "rules.xml"


@viewer_required
@require_GET
def rule_list(request: HttpRequest) -> HttpResponse:
    """Rules filtered by name and metric (substring, any case), 100 a page."""
    name = request.GET.get("name", "").strip()
    metric = request.GET.get("metric", "").strip()
    queryset: QuerySet[Rule] = Rule.objects.all()
    if name:
        queryset = queryset.filter(name__icontains=name)
    if metric:
        queryset = queryset.filter(metric__icontains=metric)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    names = [rule.name for rule in page]
    open_alerts = dict(
        Alert.objects.filter(rule__in=names)
        .values("rule")
        .annotate(n=Count("id"))
        .values_list("rule", "n")
    )
    for rule in page:
        rule.window_display = display_window(rule.window)  # type: ignore[attr-defined]
        rule.open_alerts = open_alerts.get(rule.name, 0)  # type: ignore[attr-defined]
    filters = request.GET.copy()
    filters.pop("page", None)
    context = {
        "page_obj": page,
        "name": name,
        "metric": metric,
        "filter_query": filters.urlencode(),
        "here": request.get_full_path(),
    }
    return render(request, "rules/rule_list.html", context)


@viewer_required
@require_GET
def rule_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The editor's fields, read-only (what operators see; administrators get Edit)."""
    rule = get_object_or_404(Rule, pk=pk)
    if is_administrator(request.user):
        return redirect("rule-edit", pk=rule.pk)
    form = RuleForm(instance=rule, read_only=True)
    return render(request, "rules/rule_form.html", {"form": form, "rule": rule, "read_only": True})


@administrator_required
def rule_create(request: HttpRequest) -> HttpResponse:
    form = RuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        rule = form.save()
        _saved_messages(request, form, f"Rule {rule.name} created.")
        return redirect("rule-edit", pk=rule.pk)
    return _editor_page(request, form, None)


@administrator_required
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(Rule, pk=pk)
    form = RuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        form.save()
        _saved_messages(request, form, f"Rule {rule.name} saved.")
        return redirect("rule-edit", pk=rule.pk)
    return _editor_page(request, form, rule)


def _editor_page(request: HttpRequest, form: RuleForm, rule: Rule | None) -> HttpResponse:
    """The editor, with Test on history (rules.backtest) under the form."""
    context = {"form": form, "rule": rule, "backtest_max_hours": settings.BACKTEST_MAX_HOURS}
    return render(request, "rules/rule_form.html", context)


def _saved_messages(request: HttpRequest, form: RuleForm, text: str) -> None:
    messages.success(request, text)
    for field, warnings in form.warnings.items():
        label = form.fields[field].label or field
        for warning in warnings:
            messages.warning(request, f"{label}: {warning}")


@administrator_required
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation; POST deletes."""
    rule = get_object_or_404(Rule, pk=pk)
    if request.method == "POST":
        rule.delete()
        messages.success(request, f"Rule {rule.name} deleted.")
        return redirect("rule-list")
    return render(request, "rules/rule_delete.html", {"rule": rule})


@administrator_required
@require_POST
def rule_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    """Flip ``enabled`` and go back to the page the button was on."""
    rule = get_object_or_404(Rule, pk=pk)
    rule.enabled = not rule.enabled
    rule.save(update_fields=["enabled"])
    state = "enabled" if rule.enabled else "disabled"
    messages.success(request, f"Rule {rule.name} {state}.")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("rule-list")
    return redirect(target)


@administrator_required
def rule_import(request: HttpRequest) -> HttpResponse:
    """Upload form; a valid document leads to the per-rule result page."""
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        report = form.run(request.user)
        if report is not None:
            # The saved rules, to show their enabled state and link to them; after a
            # failed import these are the untouched rules of the same names, if any.
            saved = Rule.objects.in_bulk([r.name for r in report.rules], field_name="name")
            rows = [(result, saved.get(result.name)) for result in report.rules]
            context = {"report": report, "rows": rows}
            return render(request, "rules/rule_import_result.html", context)
    return render(request, "rules/rule_import.html", {"form": form})


@viewer_required
@require_GET
def rules_export(request: HttpRequest) -> HttpResponse:
    """``?all=1``: every rule; ``?id=1&id=2``: the selected rules (ids not found are skipped).

    ``&include_secrets=1`` (administrators only) writes web-notification tokens too.
    """
    if request.GET.get("all"):
        rules = Rule.objects.all()
    else:
        # Ignore what is not a plausible id rather than fail: the ids come from a URL.
        ids = [int(i) for i in request.GET.getlist("id") if _ID_RE.fullmatch(i)]
        rules = Rule.objects.filter(pk__in=ids)
        if not ids or not rules.exists():
            messages.error(request, "Select the rules to export, or use Export all.")
            return redirect("rule-list")
    return _xml_download(request, rules)


@viewer_required
@require_GET
def rule_export(request: HttpRequest, pk: int) -> HttpResponse:
    return _xml_download(request, [get_object_or_404(Rule, pk=pk)])


def _xml_download(request: HttpRequest, rules: QuerySet[Rule] | list[Rule]) -> HttpResponse:
    secrets = request.GET.get("include_secrets") in ("1", "true", "on")
    if secrets:
        if not is_administrator(request.user):
            raise PermissionDenied("only administrators may export secrets")
        logger.info("rules export with secrets by %s", request.user)
    data = export_rules(rules, include_secrets=secrets)
    response = HttpResponse(data, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{EXPORT_FILENAME}"'
    return response
