"""Endpoint XML export and import in ATSD's ``*-notification.xml`` shape (spec §2.6).

Export writes a ``<list>`` of ``com.axibase.tsd.model.notifications.WebNotificationConfig``
elements with ``<type>`` (our decision: ATSD never published HIPCHAT exports),
the common fields, ``baseUrl``, proxy settings, a ``parameters`` tree-map and
``exposedTableModelParams`` (the keys editable in rules). Secrets are written
empty unless ``include_secrets=True``. ``caBundle`` and ``testPortal`` are our
additions, ignored by ATSD.

Import reads such files with the project's hardened parser. Elements whose
kind has a form here are created or updated (matched by name); everything
else, including every public ATSD export (CUSTOM, AWS, Azure, GCP), is reported
as unsupported and not imported. One transaction: one invalid supported
element rejects the whole file.
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
from notifications.endpoints.forms import form_for, has_form
from notifications.models import Endpoint
from notifications.transports import registry

logger = logging.getLogger(__name__)

PACKAGE = "com.axibase.tsd.model.notifications."
WEB_CONFIG = PACKAGE + "WebNotificationConfig"
# Classes of the public exports whose kind is implied by the class, not by <type>.
CLASS_KINDS = {
    PACKAGE + "AwsApiNotificationConfig": "AWS-API",
    PACKAGE + "AzureServiceBusWebNotificationConfig": "AZURE-SB",
    PACKAGE + "GcpPubSubWebNotificationConfig": "GCP-PS",
}
COMPARATOR = "java.lang.String$CaseInsensitiveComparator"
DEFAULT_MAX_BYTES = 2 * 1024 * 1024

IMPORTED_CREATED = "created"
IMPORTED_UPDATED = "updated"
UNSUPPORTED = "unsupported"


def max_bytes() -> int:
    """Upload limit: setting ``ENDPOINT_IMPORT_MAX_BYTES``, default 2 MB."""
    return int(getattr(settings, "ENDPOINT_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


# ------------------------------------------------------------------ export


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _sub(parent: etree._Element, tag: str, text: str = "") -> etree._Element:
    child = etree.SubElement(parent, tag)
    child.text = text
    return child


def endpoint_element(endpoint: Endpoint, *, include_secrets: bool = False) -> etree._Element:
    """One ``WebNotificationConfig`` element for ``endpoint``."""
    secret_keys = set(endpoint.secret_keys())
    element = etree.Element(WEB_CONFIG)
    _sub(element, "type", endpoint.kind)
    _sub(element, "enabled", _bool(endpoint.enabled))
    _sub(element, "logResponse", _bool(endpoint.log_response))
    _sub(element, "name", endpoint.name)
    _sub(element, "description", endpoint.description)
    _sub(element, "ignoreSslErrors", _bool(endpoint.ignore_ssl_errors))
    _sub(element, "baseUrl", endpoint.base_url)
    _sub(element, "proxyUrl", endpoint.proxy_url)
    _sub(element, "proxyUsername", endpoint.proxy_username)
    _sub(element, "proxyPassword", endpoint.proxy_password if include_secrets else "")
    _sub(element, "caBundle", endpoint.ca_bundle)
    _sub(element, "testPortal", endpoint.test_portal)
    parameters = etree.SubElement(element, "parameters", {"class": "tree-map"})
    etree.SubElement(parameters, "comparator", {"class": COMPARATOR})
    # A Java TreeMap with this comparator iterates keys case-insensitively sorted.
    for key, value in sorted(endpoint.parameter_values().items(), key=lambda kv: kv[0].lower()):
        entry = etree.SubElement(parameters, "entry")
        _sub(entry, "string", key)
        hidden = key in secret_keys and not include_secrets
        _sub(entry, "string", "" if hidden else value)
    exposed = etree.SubElement(element, "exposedTableModelParams", {"class": "sorted-set"})
    etree.SubElement(exposed, "comparator", {"class": COMPARATOR})
    for key in sorted(endpoint.editable_keys(), key=str.lower):
        _sub(exposed, "string", key)
    return element


def export_endpoints(endpoints: Iterable[Endpoint], *, include_secrets: bool = False) -> bytes:
    """A UTF-8 ``<list>`` document of ``endpoints``; secrets empty unless asked for."""
    root = etree.Element("list")
    for endpoint in endpoints:
        root.append(endpoint_element(endpoint, include_secrets=include_secrets))
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True)


# ------------------------------------------------------------------ import


class EndpointImportError(Exception):
    """A file that cannot be imported at all; ``reasons`` are readable sentences."""

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = reasons
        super().__init__("; ".join(reasons))


@dataclass(frozen=True)
class ImportItem:
    """The outcome of one element: ``created``, ``updated`` or ``unsupported``."""

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


@dataclass
class _Parsed:
    name: str
    class_name: str
    kind: str
    fields: dict[str, str]
    parameters: list[tuple[str, str]]
    exposed: set[str]


def _text(element: etree._Element | None) -> str:
    if element is None:
        return ""
    # Exports carry CRLF as &#xd; (Java on Windows); the model stores LF (spec §2.1).
    return (element.text or "").replace("\r\n", "\n")


def _short(class_name: str) -> str:
    return class_name.rpartition(".")[2] or class_name


def _kind_of(element: etree._Element) -> str:
    tag = str(element.tag)
    if tag == WEB_CONFIG:
        declared = _text(element.find("type")).strip().upper()
        return declared or "CUSTOM"
    return CLASS_KINDS.get(tag, "")


def _parse_element(element: etree._Element, position: int) -> _Parsed:
    name = _text(element.find("name")).strip() or f"#{position}"
    fields = {
        child.tag: _text(child)
        for child in element
        if isinstance(child.tag, str) and len(child) == 0
    }
    parameters: list[tuple[str, str]] = []
    container = element.find("parameters")
    if container is not None:
        for entry in container.findall("entry"):
            strings = entry.findall("string")
            if strings:
                value = _text(strings[1]) if len(strings) > 1 else ""
                parameters.append((_text(strings[0]), value))
    exposed_element = element.find("exposedTableModelParams")
    exposed = (
        {_text(s) for s in exposed_element.findall("string")}
        if exposed_element is not None
        else set()
    )
    return _Parsed(name, str(element.tag), _kind_of(element), fields, parameters, exposed)


def _unsupported_reason(parsed: _Parsed) -> str:
    if not parsed.kind:
        return f"unknown class {_short(parsed.class_name)}"
    try:
        kind = registry.get_kind(parsed.kind)
    except KeyError:
        return f"unknown endpoint type {parsed.kind}"
    return f"{kind.label} endpoints ({kind.status}) cannot be imported yet"


def _ordered_parameters(parsed: _Parsed) -> list[tuple[str, str, bool]]:
    """Parameters in the kind's form order, unknown keys after them in file order."""
    values = dict(parsed.parameters)
    order = list(form_for(parsed.kind).parameter_keys())
    order += [k for k, _ in parsed.parameters if k not in order]
    return [(key, values.get(key, ""), key in parsed.exposed) for key in order]


def _flag(fields: dict[str, str], name: str, default: bool) -> bool:
    raw = fields.get(name, "").strip().lower()
    return default if not raw else raw == "true"


def _apply(parsed: _Parsed, endpoint: Endpoint) -> list[str]:
    """Copy ``parsed`` onto ``endpoint``; return validation errors (empty = valid)."""
    fields = parsed.fields
    stored = endpoint.parameter_values() if endpoint.pk else {}
    secret_keys = set(registry.get_kind(parsed.kind).secret_parameters)
    endpoint.kind = parsed.kind
    endpoint.enabled = _flag(fields, "enabled", True)
    endpoint.log_response = _flag(fields, "logResponse", False)
    endpoint.ignore_ssl_errors = _flag(fields, "ignoreSslErrors", False)
    endpoint.description = fields.get("description", "")
    endpoint.base_url = fields.get("baseUrl", "").strip()
    endpoint.proxy_url = fields.get("proxyUrl", "").strip()
    endpoint.proxy_username = fields.get("proxyUsername", "")
    # Exports leave secrets empty: an empty one keeps what this server already stores.
    endpoint.proxy_password = fields.get("proxyPassword", "") or endpoint.proxy_password
    endpoint.ca_bundle = fields.get("caBundle", "")
    endpoint.test_portal = fields.get("testPortal", "")
    endpoint.set_parameters(
        (key, value or (stored.get(key, "") if key in secret_keys else ""), editable)
        for key, value, editable in _ordered_parameters(parsed)
    )
    errors = [
        f"{key}: {message}"
        for key, message in form_for(parsed.kind)
        .validate_parameters(endpoint.parameter_values(), require_secrets=False)
        .items()
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
            parsed = _parse_element(element, position)
            if not parsed.kind or not has_form(parsed.kind):
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
                ImportItem(parsed.name, _short(parsed.class_name), parsed.kind, outcome)
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
