"""Alerts > Web Notifications: endpoint list, per-kind form with Test and Show, import/export.

Operators may read the list; every other view edits or reveals configuration
and is ``administrator_required`` (``design.md`` invariant 7).
"""

from __future__ import annotations

import logging
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from atsd_alerts.accounts import administrator_required, is_administrator, viewer_required
from notifications.channels import registry
from notifications.channels.form import (
    PROXY_PASSWORD,
    TEST_SERIES,
    EndpointForm,
    form_for,
    has_form,
)
from notifications.endpoints.trial import TrialOutcome, send_test, send_test_screenshot
from notifications.endpoints.xml import (
    EndpointImportError,
    export_endpoints,
    import_endpoints,
    max_bytes,
)
from notifications.models import Endpoint
from notifications.screenshots import series_choice
from notifications.screenshots.availability import missing_browser

logger = logging.getLogger(__name__)

STATUS_NOTES = {
    registry.SUPPORTED: "",
    registry.PLANNED: "planned: no sender yet",
    registry.STORE_ONLY: "stored, not sent",
}


@viewer_required
def endpoint_list(request: HttpRequest) -> HttpResponse:
    """All endpoints with type, status, where they send and description."""
    endpoints = [
        {
            "endpoint": e,
            "label": dict(registry.choices()).get(e.kind, e.kind),
            "target": form_for(e.kind).target(e) if has_form(e.kind) else "",
            "note": _status_note(e.kind),
            "editable": has_form(e.kind),
        }
        for e in Endpoint.objects.all()
    ]
    context = {"endpoints": endpoints, "can_edit": is_administrator(request.user)}
    return render(request, "notifications/endpoint_list.html", context)


@administrator_required
def endpoint_choose_kind(request: HttpRequest) -> HttpResponse:
    """Create, step one: pick a type; only kinds with a form can be created."""
    kinds = [
        {
            "kind": k.kind,
            "label": k.label,
            "available": has_form(k.kind),
            "note": STATUS_NOTES.get(k.status, k.status),
        }
        for k in registry.KINDS.values()
    ]
    return render(request, "notifications/endpoint_choose_kind.html", {"kinds": kinds})


def _status_note(kind: str) -> str:
    """ "stored, not sent" for a kind that cannot send; "" for one that sends."""
    try:
        return STATUS_NOTES.get(registry.get_kind(kind).status, "")
    except KeyError:
        return "unknown type"


def _form_class(kind: str) -> type[EndpointForm]:
    try:
        return form_for(kind)
    except LookupError:
        raise Http404(f"endpoint type {kind} cannot be edited here") from None


_FIX_FIRST = "Not sent: fix the form errors first."


def _error_summary(errors: dict[str, list[str]]) -> str:
    return " ".join(message for messages_ in errors.values() for message in messages_)


def _test_outcome(form: EndpointForm) -> tuple[TrialOutcome | None, dict[str, list[str]]]:
    """Validate ``form`` for a Test: errors other than the name block it (a test needs no name)."""
    form.is_valid()
    errors = {k: [str(m) for m in v] for k, v in form.errors.items() if k != "name"}
    if errors:
        return None, errors
    form.instance.name = form.instance.name or "(unsaved)"
    return send_test(form.instance), {}


def _row(
    form: EndpointForm,
    name: str,
    endpoint: Endpoint | None,
    *,
    secret_key: str = "",
    stored: bool = False,
    editable: str = "",
) -> dict[str, Any]:
    clear = f"clear_{secret_key}" if secret_key else ""
    return {
        "field": form[name],
        "show_url": reverse("endpoint-secret", args=[endpoint.pk, secret_key])
        if endpoint and secret_key and stored
        else "",
        "clear": form[clear] if clear and clear in form.fields else None,
        "editable": form[editable] if editable else None,
    }


def form_sections(form: EndpointForm, endpoint: Endpoint | None) -> list[dict[str, Any]]:
    """The form's fields grouped for the template, with Show and clear controls for secrets."""
    general = [_row(form, n, endpoint) for n in ("name", "enabled", "description", "base_url")]
    parameters = [_row(form, n, endpoint) for n in form.entry_fields]
    parameters += [
        _row(
            form,
            row.value.name,
            endpoint,
            secret_key=row.key if row.secret else "",
            stored=row.stored,
            editable=row.editable.name,
        )
        for row in form.parameter_rows()
    ]
    network = [_row(form, n, endpoint) for n in ("proxy_url", "proxy_username")]
    network.append(
        _row(
            form,
            PROXY_PASSWORD,
            endpoint,
            secret_key=PROXY_PASSWORD,
            stored=bool(endpoint and endpoint.proxy_password),
        )
    )
    network += [_row(form, n, endpoint) for n in ("ignore_ssl_errors", "ca_bundle")]
    other = [
        _row(form, n, endpoint)
        for n in ("log_response", "test_portal", TEST_SERIES)
        if n in form.fields
    ]
    return [
        {"title": "Endpoint", "rows": general},
        {"title": "Parameters", "rows": parameters},
        {"title": "Network", "rows": network},
        {"title": "Logging and test", "rows": other},
    ]


def _render_form(
    request: HttpRequest,
    form: EndpointForm,
    endpoint: Endpoint | None,
    outcome: TrialOutcome | None = None,
    status: int = 200,
) -> HttpResponse:
    kind = registry.get_kind(form.kind)
    test_url = (
        reverse("endpoint-test", args=[endpoint.pk])
        if endpoint
        else reverse("endpoint-test-new", args=[form.kind])
    )
    screenshot_url = (
        reverse("endpoint-screenshot", args=[endpoint.pk])
        if endpoint
        else reverse("endpoint-screenshot-new", args=[form.kind])
    )
    context = {
        "form": form,
        "endpoint": endpoint,
        "kind": kind,
        "outcome": outcome,
        "test_url": test_url,
        "screenshot_url": screenshot_url,
        "screenshot_missing": missing_browser(),
        "sections": form_sections(form, endpoint),
    }
    return render(request, "notifications/endpoint_form.html", context, status=status)


def _edit(request: HttpRequest, form_class: type[EndpointForm], endpoint: Endpoint | None) -> Any:
    instance = endpoint or Endpoint(kind=form_class.kind)
    if request.method != "POST":
        return _render_form(request, form_class(instance=instance), endpoint)
    form = form_class(request.POST, instance=instance)
    if "test" in request.POST:
        # Without JavaScript the Test button submits the whole form: send, re-render, save nothing.
        outcome, errors = _test_outcome(form)
        if outcome is None:
            outcome = TrialOutcome(False, None, _FIX_FIRST + " " + _error_summary(errors))
        return _render_form(request, form, endpoint, outcome)
    if not form.is_valid():
        return _render_form(request, form, endpoint, status=400)
    saved = form.save()
    for warning in form.warnings:
        messages.warning(request, warning)
    messages.success(request, f"Endpoint {saved.name} saved.")
    logger.info("endpoint %r saved by %s", saved.name, request.user)
    return redirect("endpoint-list")


@administrator_required
@never_cache
def endpoint_create(request: HttpRequest, kind: str) -> HttpResponse:
    """Create, step two: the type's form."""
    return _edit(request, _form_class(kind), None)


@administrator_required
@never_cache
def endpoint_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit an endpoint; blank secret inputs keep the stored secrets."""
    endpoint = get_object_or_404(Endpoint, pk=pk)
    return _edit(request, _form_class(endpoint.kind), endpoint)


@administrator_required
def endpoint_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: confirmation page; POST: delete."""
    endpoint = get_object_or_404(Endpoint, pk=pk)
    if request.method == "POST":
        endpoint.delete()
        messages.success(request, f"Endpoint {endpoint.name} deleted.")
        logger.info("endpoint %r deleted by %s", endpoint.name, request.user)
        return redirect("endpoint-list")
    return render(request, "notifications/endpoint_confirm_delete.html", {"endpoint": endpoint})


@administrator_required
@require_POST
@never_cache
def endpoint_test(request: HttpRequest, pk: int | None = None, kind: str = "") -> JsonResponse:
    """Test with the posted form values (blank secrets fall back to the stored ones).

    JSON: ``{"ok", "status", "message"}`` after a send, or ``{"ok": false,
    "errors": {field: [..]}}`` when the form does not validate. Never a secret.
    """
    endpoint = get_object_or_404(Endpoint, pk=pk) if pk is not None else None
    form_class = _form_class(endpoint.kind if endpoint else kind)
    form = form_class(request.POST, instance=endpoint or Endpoint(kind=form_class.kind))
    outcome, errors = _test_outcome(form)
    if outcome is None:
        return JsonResponse(
            {
                "ok": False,
                "status": None,
                "message": _FIX_FIRST + " " + _error_summary(errors),
                "errors": errors,
            }
        )
    return JsonResponse({**outcome.as_json(), "warnings": form.warnings})


@administrator_required
@require_POST
@never_cache
def endpoint_screenshot(
    request: HttpRequest, pk: int | None = None, kind: str = ""
) -> JsonResponse:
    """**Send Screenshot**: capture the form's Test Portal and send it to the room.

    Uses the posted form values like Test; the portal shows the form's Test Series (by
    default the most recently active series of the users' data: ``Default``) or its
    entity (other portals). JSON
    ``{"ok", "status", "message"}`` with the HipChat error or the capture error.
    """
    endpoint = get_object_or_404(Endpoint, pk=pk) if pk is not None else None
    form_class = _form_class(endpoint.kind if endpoint else kind)
    form = form_class(request.POST, instance=endpoint or Endpoint(kind=form_class.kind))
    form.is_valid()
    errors = {k: [str(m) for m in v] for k, v in form.errors.items() if k != "name"}
    if errors:
        return JsonResponse(
            {
                "ok": False,
                "status": None,
                "message": _FIX_FIRST + " " + _error_summary(errors),
                "errors": errors,
            }
        )
    form.instance.name = form.instance.name or "(unsaved)"
    series = series_choice.parse(form.cleaned_data.get(TEST_SERIES, ""))
    return JsonResponse(send_test_screenshot(form.instance, series).as_json())


@administrator_required
@require_POST
@never_cache
def endpoint_secret(request: HttpRequest, pk: int, key: str) -> JsonResponse:
    """The **Show** control: one stored secret of an endpoint, as JSON ``{"key", "value"}``.

    POST (with CSRF) rather than GET so that the value never sits in browser
    history, caches or access logs with a replayable URL.
    """
    endpoint = get_object_or_404(Endpoint, pk=pk)
    try:
        value = endpoint.stored_secret(key)
    except KeyError:
        raise Http404("no such secret") from None
    logger.info("secret %s of endpoint %r shown to %s", key, endpoint.name, request.user)
    return JsonResponse({"key": key, "value": value})


class ImportForm(forms.Form):
    file = forms.FileField(label="Endpoint file (*-notification.xml)")


@administrator_required
def endpoint_import(request: HttpRequest) -> HttpResponse:
    """Upload an endpoint export; show what was imported and what is unsupported."""
    form = ImportForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form, "limit": max_bytes()}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > max_bytes():
            context["errors"] = [
                f"the file is {upload.size} bytes, larger than the limit of {max_bytes()} bytes"
            ]
        else:
            try:
                context["report"] = import_endpoints(upload.read())
            except EndpointImportError as exc:
                context["errors"] = exc.reasons
        context["filename"] = upload.name
    status = 400 if context.get("errors") else 200
    return render(request, "notifications/endpoint_import.html", context, status=status)


def _xml_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _include_secrets(request: HttpRequest) -> bool:
    return request.GET.get("include_secrets") in ("1", "true", "on")


@administrator_required
def endpoint_export_all(request: HttpRequest) -> HttpResponse:
    """Every endpoint as one ``<list>``; ``?include_secrets=1`` writes the tokens too."""
    secrets = _include_secrets(request)
    if secrets:
        logger.info("endpoint export with secrets by %s", request.user)
    data = export_endpoints(Endpoint.objects.all(), include_secrets=secrets)
    return _xml_response(data, "endpoints-notification.xml")


@administrator_required
def endpoint_export_one(request: HttpRequest, pk: int) -> HttpResponse:
    """One endpoint as a ``<list>`` of one."""
    endpoint = get_object_or_404(Endpoint, pk=pk)
    secrets = _include_secrets(request)
    if secrets:
        logger.info("export of %r with secrets by %s", endpoint.name, request.user)
    data = export_endpoints([endpoint], include_secrets=secrets)
    return _xml_response(data, f"{slugify(endpoint.name) or 'endpoint'}-notification.xml")
