"""Data > Messages and Data > Properties: what the message and property stores hold
(read-only, newest first, filtered by entity or type)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from atsd_alerts.accounts import viewer_required
from rules.models import MessageRecord, PropertyRecord

PAGE_SIZE = 100


def _page(request: HttpRequest, rows: QuerySet[MessageRecord] | QuerySet[PropertyRecord],
          template: str) -> HttpResponse:  # fmt: skip
    q = request.GET.get("q", "").strip()
    if q:
        rows = rows.filter(Q(entity__icontains=q) | Q(type__icontains=q))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, template, {"page_obj": page, "q": q})


@viewer_required
def message_list(request: HttpRequest) -> HttpResponse:
    return _page(request, MessageRecord.objects.order_by("-time_ms", "-id"), "rules/messages.html")


@viewer_required
def property_list(request: HttpRequest) -> HttpResponse:
    rows = PropertyRecord.objects.order_by("entity", "type", "-time_ms")
    return _page(request, rows, "rules/properties.html")
