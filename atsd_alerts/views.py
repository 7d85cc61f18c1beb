"""Site-wide pages: home, API tokens, and pages whose feature arrives with a later piece."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from atsd_alerts.accounts import administrator_required, viewer_required
from atsd_alerts.models import ApiToken


@viewer_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect("open-alerts")


def not_yet(page_title: str, arrives_with: str) -> Callable[[HttpRequest], HttpResponse]:
    """A page the navigation names whose content a later piece of work builds."""

    @viewer_required
    def view(request: HttpRequest) -> HttpResponse:
        context = {"page_title": page_title, "arrives_with": arrives_with}
        return render(request, "site/not_yet.html", context)

    return view


class ApiTokenForm(forms.Form):
    user = forms.ModelChoiceField(queryset=get_user_model().objects.order_by("username"))
    name = forms.CharField(max_length=100)


@administrator_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST or None)
    context: dict[str, Any] = {"form": form, "tokens": ApiToken.objects.select_related("user")}
    if request.method == "POST" and form.is_valid():
        _token, raw = ApiToken.issue(form.cleaned_data["user"], form.cleaned_data["name"])
        context.update(new_token=raw, new_token_user=form.cleaned_data["user"])
        context["form"] = ApiTokenForm()
    return render(request, "site/api_tokens.html", context)


@administrator_required
@require_POST
def api_token_delete(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk)
    token.delete()
    messages.success(request, f"Token {token.name} revoked.")
    return redirect("api-tokens")
