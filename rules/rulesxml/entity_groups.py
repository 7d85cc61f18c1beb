"""Entity groups ↔ XML, for the Entity Groups page's import and export.

ATSD publishes no entity-group export, so the format is ours **[decision]**, in the
style of rules.xml::

    <entityGroups>
      <entityGroup>
        <name>disk_prod</name>
        <description/>
        <expression><![CDATA[tags.env = 'prod']]></expression>
        <entity>db1</entity>
        <entity>db2</entity>
      </entityGroup>
    </entityGroups>

Import is all or nothing and replaces groups of the same name (case-insensitive).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from lxml import etree

from rules.engine.groups import compile_group_expression
from rules.expressions.errors import ExpressionError
from rules.models import EntityGroup
from rules.rulesxml.document import parse_rules_document
from rules.rulesxml.errors import RulesImportError
from rules.rulesxml.writer import XML_DECLARATION

ROOT = "entityGroups"


@dataclass
class GroupImport:
    """Outcome of ``import_groups``: ``errors`` empty when everything was saved."""

    created: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def check_group_expression(text: str) -> str | None:
    """Why a membership expression cannot run, None when it can (or is empty)."""
    if not text.strip():
        return None
    try:
        compile_group_expression(text)
    except ExpressionError as exc:
        return str(exc)
    return None


def export_groups(groups: Iterable[EntityGroup]) -> bytes:
    root = etree.Element(ROOT)
    root.text = "\n"
    for group in groups:
        element = etree.SubElement(root, "entityGroup")
        element.tail = "\n"
        etree.SubElement(element, "name").text = group.name
        etree.SubElement(element, "description").text = group.description or None
        expression = etree.SubElement(element, "expression")
        if group.expression:
            expression.text = etree.CDATA(group.expression)
        for member in group.members or ():
            etree.SubElement(element, "entity").text = str(member)
    return XML_DECLARATION + etree.tostring(root, encoding="UTF-8") + b"\n"


def import_groups(data: bytes) -> GroupImport:
    """Create or replace every group of the document, or none (``errors`` says why)."""
    result = GroupImport()
    try:
        root = parse_rules_document(data)
    except RulesImportError as exc:
        result.errors = [str(f) for f in exc.failures]
        return result
    if root.tag != ROOT:
        result.errors = [f"the root element is <{root.tag}>, expected <{ROOT}>"]
        return result
    parsed: dict[str, tuple[str, str, str, list[str]]] = {}
    for number, element in enumerate((e for e in root if isinstance(e.tag, str)), 1):
        label = f"group #{number}"
        if element.tag != "entityGroup":
            result.errors.append(f"{label}: unexpected <{element.tag}>; expected <entityGroup>")
            continue
        values: dict[str, str] = {"name": "", "description": "", "expression": ""}
        members: list[str] = []
        for child in element:
            if not isinstance(child.tag, str):
                continue
            text = "".join(child.itertext()).strip()
            if child.tag == "entity":
                if text:
                    members.append(text)
            elif child.tag in values:
                values[child.tag] = text
            else:
                result.errors.append(f"{label}: unexpected <{child.tag}>")
        name = values["name"]
        if not name:
            result.errors.append(f"{label}: <name> is required")
            continue
        if name.lower() in parsed:
            result.errors.append(f"group {name!r}: appears twice")
            continue
        problem = check_group_expression(values["expression"])
        if problem:
            result.errors.append(f"group {name!r}: <expression>: {problem}")
        parsed[name.lower()] = (name, values["description"], values["expression"], members)
    if result.errors:
        return result
    with transaction.atomic():
        for name, description, expression, members in parsed.values():
            group = EntityGroup.objects.filter(name__iexact=name).first()
            (result.replaced if group else result.created).append(name)
            group = group or EntityGroup()
            group.name, group.description = name, description
            group.expression, group.members = expression, members
            group.save()
    return result
