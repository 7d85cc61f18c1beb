"""Endpoint export and import files in ATSD's ``*-notification.xml`` shape (spec §2.6).

Export writes a ``<list>`` of endpoint elements, each written by its kind's XML
mapping (:mod:`notifications.channels.xml`); secrets are empty unless
``include_secrets=True``.

Import reads such files with the project's hardened parser. Elements whose kind has
a form and an XML mapping here are created or updated (matched by name) and checked
by the kind's form rules (those of a kind that cannot send are reported "stored, not
sent"); everything else is reported as unsupported and not imported. One transaction: one
invalid supported element rejects the whole file.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from lxml import etree

from atsd_alerts.safe_xml import XmlRefused, parse_document
from notifications.channels import registry
from notifications.channels.form import form_for, has_form
from notifications.channels.xml import (
    EndpointElement,
    EndpointXml,
    has_mapping,
    mapping_for,
    read_element,
)
from notifications.models import Endpoint

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 2 * 1024 * 1024

IMPORTED_CREATED = "created"
IMPORTED_UPDATED = "updated"
UNSUPPORTED = "unsupported"
#: What the report says of an imported endpoint whose kind has no sender.
STORED_NOT_SENT = "stored, not sent"


def max_bytes() -> int:
    """Upload limit: setting ``ENDPOINT_IMPORT_MAX_BYTES``, default 2 MB."""
    return int(getattr(settings, "ENDPOINT_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def export_endpoints(endpoints: Iterable[Endpoint], *, include_secrets: bool = False) -> bytes:
    """A UTF-8 ``<list>`` document of ``endpoints``; secrets empty unless asked for."""
    root = etree.Element("list")
    for endpoint in endpoints:
        # A kind stored before it has a mapping of its own is written in the common shape.
        mapping = mapping_for(endpoint.kind) if has_mapping(endpoint.kind) else None
        element = (mapping or EndpointXml(endpoint.kind)).to_element(
            endpoint, include_secrets=include_secrets
        )
        root.append(element)
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True)


# ------------------------------------------------------------------ import


class EndpointImportError(Exception):
    """A file that cannot be imported at all; ``reasons`` are readable sentences."""

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = reasons
        super().__init__("; ".join(reasons))


@dataclass(frozen=True)
class ImportItem:
    """The outcome of one element: ``created``, ``updated`` or ``unsupported``; ``reason``
    says why one is unsupported, or that an imported one is stored, not sent."""

    name: str
    class_name: str
    kind: str
    outcome: str
    reason: str = ""

    @property
    def imported(self) -> bool:
        return self.outcome in (IMPORTED_CREATED, IMPORTED_UPDATED)


@dataclass
class ImportReport:
    """Every element of the file, in file order."""

    items: list[ImportItem] = field(default_factory=list)

    @property
    def imported(self) -> list[ImportItem]:
        return [i for i in self.items if i.imported]

    @property
    def unsupported(self) -> list[ImportItem]:
        return [i for i in self.items if not i.imported]


def _short(class_name: str) -> str:
    return class_name.rpartition(".")[2] or class_name


def importable(kind: str) -> bool:
    """Whether elements of ``kind`` are imported (its form checks them, its mapping reads
    them)."""
    return bool(kind) and has_form(kind) and has_mapping(kind)


def _unsupported_reason(parsed: EndpointElement) -> str:
    if not parsed.kind:
        return f"unknown class {_short(parsed.class_name)}"
    try:
        kind = registry.get_kind(parsed.kind)
    except KeyError:
        return f"unknown endpoint type {parsed.kind}"
    return f"{kind.label} endpoints ({kind.status}) cannot be imported yet"


def _apply(parsed: EndpointElement, endpoint: Endpoint) -> list[str]:
    """Copy ``parsed`` onto ``endpoint``; return validation errors (empty = valid)."""
    form_class = form_for(parsed.kind)
    try:
        mapping_for(parsed.kind).apply(parsed, endpoint, form_class.parameter_keys())
    except ValueError as exc:
        return [str(exc)]
    errors = [
        f"{key}: {message}"
        for key, message in form_class.validate_parameters(
            endpoint.parameter_values(), require_secrets=False
        ).items()
    ]
    try:
        endpoint.full_clean(validate_unique=False)
    except ValidationError as exc:
        errors += [f"{name}: {' '.join(msgs)}" for name, msgs in exc.message_dict.items()]
    return errors


def read_elements(data: bytes) -> list[etree._Element]:
    """The endpoint elements of an uploaded file (hardened parsing, root ``<list>``)."""
    try:
        root = parse_document(bytes(data), limit=max_bytes())
    except XmlRefused as exc:
        raise EndpointImportError([exc.reason]) from None
    if root.tag != "list":
        raise EndpointImportError(
            [f"the root element is <{root.tag}>, expected <list> (an endpoint export)"]
        )
    return [child for child in root if isinstance(child.tag, str)]


def import_endpoints(data: bytes) -> ImportReport:
    """Import an endpoint export; return what happened to each element.

    Raises :class:`EndpointImportError` (and changes nothing) when the file is
    not a hardened-parseable ``<list>`` or a supported element is invalid; the
    reasons name the element.
    """
    report = ImportReport()
    errors: list[str] = []
    seen: set[str] = set()
    with transaction.atomic():
        for position, element in enumerate(read_elements(data), start=1):
            parsed = read_element(element, position)
            if not importable(parsed.kind):
                reason = _unsupported_reason(parsed)
                report.items.append(
                    ImportItem(
                        parsed.name, _short(parsed.class_name), parsed.kind, UNSUPPORTED, reason
                    )
                )
                continue
            if parsed.name.startswith("#"):
                errors.append(f"element {position} ({_short(parsed.class_name)}): <name> is empty")
                continue
            if parsed.name in seen:
                errors.append(f"endpoint {parsed.name!r}: appears twice in the file")
                continue
            seen.add(parsed.name)
            endpoint = Endpoint.objects.filter(name=parsed.name).first()
            outcome = IMPORTED_UPDATED if endpoint else IMPORTED_CREATED
            endpoint = endpoint or Endpoint(name=parsed.name)
            problems = _apply(parsed, endpoint)
            if problems:
                errors += [f"endpoint {parsed.name!r}: {p}" for p in problems]
                continue
            endpoint.save()
            report.items.append(
                ImportItem(
                    parsed.name,
                    _short(parsed.class_name),
                    parsed.kind,
                    outcome,
                    "" if endpoint.kind_info.sendable else STORED_NOT_SENT,
                )
            )
        if errors:
            transaction.set_rollback(True)
    if errors:
        raise EndpointImportError(errors)
    logger.info(
        "endpoint import: %d imported, %d unsupported",
        len(report.imported),
        len(report.unsupported),
    )
    return report
