"""Data > Replacement Tables and Data > Named Collections: list, edit, import, export.

Both kinds share these views; a ``Kind`` says which model, text form and XML file.
Readers see the lists and export; administrators create, edit, delete and import.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from atsd_alerts.accounts import administrator_required, viewer_required
from rules.models import NamedCollection, ReplacementTable
from rules.stores import tables


@dataclass(frozen=True)
class Kind:
    slug: str  # URL names: "<slug>-list", "<slug>-edit"...
    title: str
    model: type[ReplacementTable] | type[NamedCollection]
    text_help: str
    to_text: Callable[[Any], str]
    parse: Callable[[str], list[Any]]
    field: str  # the model field the text is parsed into
    export: Callable[[Sequence[Any]], bytes]
    import_file: Callable[[bytes], tables.ImportResult]
    file_name: str


KINDS = {
    "replacement-table": Kind(
        "replacement-table", "Replacement Tables", ReplacementTable,
        "One key=value per line; blank lines and lines starting with # are skipped.",
        lambda row: tables.entries_text(row.entries), tables.parse_entries, "entries",
        tables.tables_xml, tables.import_tables, "replacement-tables.xml",
    ),
    "named-collection": Kind(
        "named-collection", "Named Collections", NamedCollection,
        "One item per line; blank lines are skipped.",
        lambda row: "\n".join(row.items), tables.parse_items, "items",
        tables.collections_xml, tables.import_collections, "named-collections.xml",
    ),
}  # fmt: skip


def _kind(slug: str) -> Kind:
    kind = KINDS.get(slug)
    if kind is None:
        raise Http404("no such kind")
    return kind


class EntryForm(forms.Form):
    name = forms.CharField(max_length=tables.NAME_MAX_CHARS)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    text = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 16}))

    def __init__(self, kind: Kind, row: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind, self.row = kind, row
        self.fields["text"].help_text = kind.text_help
        self.fields["text"].label = "Entries" if kind.field == "entries" else "Items"

    def clean_name(self) -> str:
        try:
            name = tables.check_name(self.cleaned_data["name"])
        except tables.TableError as exc:
            raise forms.ValidationError(str(exc)) from None
        taken = self.kind.model.objects.filter(name=name)
        if self.row is not None:
            taken = taken.exclude(pk=self.row.pk)
        if taken.exists():
            raise forms.ValidationError(f"{name!r} exists already")
        return name

    def clean_text(self) -> list[Any]:
        try:
            return self.kind.parse(self.cleaned_data["text"])
        except tables.TableError as exc:
            raise forms.ValidationError(str(exc)) from None


class ImportForm(forms.Form):
    file = forms.FileField(help_text="An XML file exported from this page.")


@viewer_required
def entry_list(request: HttpRequest, slug: str) -> HttpResponse:
    kind = _kind(slug)
    rows = kind.model.objects.all()
    context = {"kind": kind, "rows": rows, "import_form": ImportForm()}
    return render(request, "rules/stores_list.html", context)


def _edit(request: HttpRequest, kind: Kind, row: Any) -> HttpResponse:
    if request.method == "POST":
        form = EntryForm(kind, row, request.POST)
        if form.is_valid():
            data = form.cleaned_data
            row = row or kind.model()
            row.name, row.description = data["name"], data["description"]
            setattr(row, kind.field, data["text"])
            row.save()
            messages.success(request, f"Saved {row.name}.")
            return redirect(f"{kind.slug}-list")
    else:
        initial = {}
        if row is not None:
            initial = {"name": row.name, "description": row.description, "text": kind.to_text(row)}
        form = EntryForm(kind, row, initial=initial)
    return render(request, "rules/stores_form.html", {"kind": kind, "form": form, "row": row})


@administrator_required
def entry_create(request: HttpRequest, slug: str) -> HttpResponse:
    return _edit(request, _kind(slug), None)


@administrator_required
def entry_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    kind = _kind(slug)
    return _edit(request, kind, get_object_or_404(kind.model, pk=pk))


@administrator_required
@require_POST
def entry_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    kind = _kind(slug)
    row = get_object_or_404(kind.model, pk=pk)
    name = str(row)
    row.delete()
    messages.success(request, f"Deleted {name}.")
    return redirect(f"{kind.slug}-list")


@viewer_required
def entry_export(request: HttpRequest, slug: str) -> HttpResponse:
    """All of the kind, or the one ``?id=`` names, as an XML file."""
    kind = _kind(slug)
    rows = kind.model.objects.all()
    if request.GET.get("id", "").isdigit():
        rows = rows.filter(pk=int(request.GET["id"]))
    response = HttpResponse(kind.export(list(rows)), content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{kind.file_name}"'
    return response


@administrator_required
@require_POST
def entry_import(request: HttpRequest, slug: str) -> HttpResponse:
    kind = _kind(slug)
    form = ImportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            result = kind.import_file(form.cleaned_data["file"].read())
        except tables.TableError as exc:
            messages.error(request, f"Nothing imported: {exc}")
        else:
            messages.success(
                request,
                f"Imported: {len(result.created)} created, {len(result.replaced)} replaced.",
            )
    else:
        messages.error(request, "Nothing imported: choose a file.")
    return redirect(f"{kind.slug}-list")
