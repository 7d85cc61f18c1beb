"""Entities and Metrics pages (Data menu)."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from atsd_alerts.accounts import viewer_required
from rules.models import Entity, Metric

PAGE_SIZE = 100


def _listing(request: HttpRequest, model: type[Entity | Metric], template: str) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    queryset = model.objects.all()
    if q:
        queryset = queryset.filter(name__icontains=q)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, template, {"page_obj": page, "q": q})


@viewer_required
def entity_list(request: HttpRequest) -> HttpResponse:
    return _listing(request, Entity, "rules/entity_list.html")


@viewer_required
def metric_list(request: HttpRequest) -> HttpResponse:
    return _listing(request, Metric, "rules/metric_list.html")
