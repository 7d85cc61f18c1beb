"""Data > Entity Groups: list, editor, delete, import and export.

A group lists entity names and/or holds an expression over one entity; rules use
groups in ``groupFilter`` and in override rows. Running engines read group changes
within ``rules.partition.group_cache.REFRESH_S`` seconds.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET

from atsd_alerts.accounts import administrator_required, viewer_required
from rules.models import EntityGroup
from rules.rulesxml.document import max_bytes
from rules.rulesxml.entity_groups import check_group_expression, export_groups, import_groups

EXPORT_FILENAME = "entity-groups.xml"


class EntityGroupForm(forms.ModelForm[EntityGroup]):
    """Name, description, members (one per line or separated by spaces), expression."""

    member_names = forms.CharField(
        required=False,
        label="Members",
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text="Entity names, one per line.",
    )

    class Meta:
        model = EntityGroup
        fields = ["name", "description", "expression"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "expression": forms.Textarea(attrs={"rows": 2, "spellcheck": "false"}),
        }
        help_texts = {
            "expression": (
                "Optional: entities for which it is true are members too, e.g. "
                "tags.env = 'prod' or name LIKE 'db*' (names: name, label, tags, enabled)."
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("member_names", "\n".join(self.instance.members or ()))

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        clash = EntityGroup.objects.filter(name__iexact=name).exclude(pk=self.instance.pk)
        if clash.exists():
            raise ValidationError("Another group has this name.")
        return name

    def clean_expression(self) -> str:
        text = self.cleaned_data.get("expression") or ""
        problem = check_group_expression(text)
        if problem:
            raise ValidationError(problem)
        return text.strip()

    def save(self, commit: bool = True) -> EntityGroup:
        names = self.cleaned_data["member_names"].split()
        self.instance.members = list(dict.fromkeys(names))
        return super().save(commit=commit)


class GroupImportForm(forms.Form):
    file = forms.FileField(label="entity-groups.xml file")

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > max_bytes():
            raise ValidationError(f"The file is over {max_bytes():,} bytes.")
        return upload


@viewer_required
@require_GET
def group_list(request: HttpRequest) -> HttpResponse:
    groups = EntityGroup.objects.all()
    return render(request, "rules/entity_groups.html", {"groups": groups})


@administrator_required
def group_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    group = get_object_or_404(EntityGroup, pk=pk) if pk is not None else None
    form = EntityGroupForm(request.POST or None, instance=group)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, f"Entity group {saved.name} saved.")
        return redirect("entity-group-list")
    return render(request, "rules/entity_group_form.html", {"form": form, "group": group})


@administrator_required
def group_delete(request: HttpRequest, pk: int) -> HttpResponse:
    group = get_object_or_404(EntityGroup, pk=pk)
    if request.method == "POST":
        group.delete()
        messages.success(request, f"Entity group {group.name} deleted.")
        return redirect("entity-group-list")
    return render(request, "rules/entity_group_delete.html", {"group": group})


@administrator_required
def group_import(request: HttpRequest) -> HttpResponse:
    form = GroupImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        result = import_groups(form.cleaned_data["file"].read())
        if not result.errors:
            messages.success(
                request,
                f"Entity groups imported: {len(result.created)} created, "
                f"{len(result.replaced)} replaced.",
            )
            return redirect("entity-group-list")
        for error in result.errors:
            form.add_error("file", error)
    return render(request, "rules/entity_group_import.html", {"form": form})


@viewer_required
@require_GET
def group_export(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(
        export_groups(EntityGroup.objects.all()), content_type="application/xml; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{EXPORT_FILENAME}"'
    return response
