"""Replacement tables and named collections: their text forms, XML files and reads.

Text forms, as typed on their pages:

* a replacement table: one ``key=value`` per line (ATSD's LIST format); the first
  ``=`` splits, blank lines and lines starting with ``#`` are skipped, a line without
  ``=`` is an error naming it, a later line with the same key wins;
* a named collection: one item per line, blank lines skipped, order kept.

XML files (import and export, one or many; [decision] the layout follows the rules.xml
style: ``<replacementTables><replacementTable><name>…</name><description>…</description>
<text>key=value lines</text></replacementTable></replacementTables>``, and
``<namedCollections><namedCollection><name/><description/><items><item>…</item></items>
</namedCollection></namedCollections>``). An import replaces tables and collections of
the same name, all or nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from lxml import etree

from atsd_alerts.safe_xml import XmlRefused, parse_document
from rules.models import NamedCollection, ReplacementTable
from rules.stores.cache import TtlCache

NAME_MAX_CHARS = 256


class TableError(ValueError):
    """Text or a file that cannot be a table or collection; the message says why."""


def parse_entries(text: str) -> list[list[str]]:
    """``key=value`` lines → ``[[key, value], ...]`` (a repeated key: the last wins)."""
    entries: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, eq, value = line.partition("=")
        if not eq or not key.strip():
            raise TableError(f"line {number}: expected key=value, got {line[:80]!r}")
        entries[key.strip()] = value.strip()
    return [[k, v] for k, v in entries.items()]


def entries_text(entries: Sequence[Sequence[str]]) -> str:
    return "\n".join(f"{key}={value}" for key, value in entries)


def parse_items(text: str) -> list[str]:
    """One item per line, blank lines skipped."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def check_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise TableError("a name is required")
    if len(name) > NAME_MAX_CHARS:
        raise TableError(f"the name is {len(name)} characters, the limit is {NAME_MAX_CHARS}")
    return name


# -- XML --------------------------------------------------------------------------------


def _child(parent: etree._Element, tag: str, text: str) -> etree._Element:
    element = etree.SubElement(parent, tag)
    element.text = text
    return element


def tables_xml(tables: Sequence[ReplacementTable]) -> bytes:
    root = etree.Element("replacementTables")
    for table in tables:
        element = etree.SubElement(root, "replacementTable")
        _child(element, "name", table.name)
        _child(element, "description", table.description)
        _child(element, "text", entries_text(table.entries))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def collections_xml(collections: Sequence[NamedCollection]) -> bytes:
    root = etree.Element("namedCollections")
    for collection in collections:
        element = etree.SubElement(root, "namedCollection")
        _child(element, "name", collection.name)
        _child(element, "description", collection.description)
        items = etree.SubElement(element, "items")
        for item in collection.items:
            _child(items, "item", item)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


@dataclass(frozen=True)
class ImportResult:
    created: list[str]
    replaced: list[str]


def _text_of(element: etree._Element, tag: str) -> str:
    found = element.find(tag)
    return "" if found is None or found.text is None else found.text


def _root(data: bytes, expected: str) -> etree._Element:
    try:
        root = parse_document(data, limit=settings.RULES_IMPORT_MAX_BYTES)
    except XmlRefused as exc:
        raise TableError(exc.reason) from None
    if root.tag != expected:
        raise TableError(f"expected a <{expected}> document, got <{root.tag}>")
    return root


def import_tables(data: bytes) -> ImportResult:
    """Create or replace the replacement tables of a ``<replacementTables>`` file."""
    parsed: dict[str, tuple[str, list[list[str]]]] = {}
    for index, element in enumerate(_root(data, "replacementTables"), 1):
        if element.tag != "replacementTable":
            raise TableError(f"element {index}: unexpected <{element.tag}>")
        try:
            name = check_name(_text_of(element, "name"))
            parsed[name] = (
                _text_of(element, "description"),
                parse_entries(_text_of(element, "text")),
            )
        except TableError as exc:
            raise TableError(f"replacement table {index}: {exc}") from None
    return _save(
        ReplacementTable, {n: {"description": d, "entries": e} for n, (d, e) in parsed.items()}
    )


def import_collections(data: bytes) -> ImportResult:
    """Create or replace the named collections of a ``<namedCollections>`` file."""
    parsed: dict[str, dict[str, object]] = {}
    for index, element in enumerate(_root(data, "namedCollections"), 1):
        if element.tag != "namedCollection":
            raise TableError(f"element {index}: unexpected <{element.tag}>")
        try:
            name = check_name(_text_of(element, "name"))
        except TableError as exc:
            raise TableError(f"named collection {index}: {exc}") from None
        items = element.find("items")
        values = [] if items is None else [(i.text or "").strip() for i in items if i.tag == "item"]
        parsed[name] = {
            "description": _text_of(element, "description"),
            "items": [v for v in values if v],
        }
    return _save(NamedCollection, parsed)


def _save(
    model: type[ReplacementTable] | type[NamedCollection], rows: Mapping[str, Mapping[str, object]]
) -> ImportResult:
    created: list[str] = []
    replaced: list[str] = []
    with transaction.atomic():
        for name, fields in rows.items():
            _, was_created = model.objects.update_or_create(name=name, defaults=dict(fields))
            (created if was_created else replaced).append(name)
    return ImportResult(created, replaced)


# -- reads --------------------------------------------------------------------------------


class TableReader:
    """Replacement tables and named collections by name, through TTL caches."""

    def __init__(
        self,
        tables: TtlCache[dict[str, str] | None],
        collections: TtlCache[tuple[str, ...] | None],
    ) -> None:
        self.tables = tables
        self.collections = collections

    def replacement_table(self, name: str) -> dict[str, str] | None:
        def load() -> dict[str, str] | None:
            row = ReplacementTable.objects.filter(name=name).first()
            return None if row is None else {str(k): str(v) for k, v in row.entries}

        return self.tables.get(name, load)

    def collection(self, name: str) -> tuple[str, ...] | None:
        def load() -> tuple[str, ...] | None:
            row = NamedCollection.objects.filter(name=name).first()
            return None if row is None else tuple(str(item) for item in row.items)

        return self.collections.get(name, load)
