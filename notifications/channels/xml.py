"""An endpoint's element in ATSD's ``*-notification.xml`` (spec §2.6), which every
kind's XML mapping extends.

The common shape is a ``com.axibase.tsd.model.notifications.WebNotificationConfig``
(or the kind's own class, see the registry's ``xml_class``) with ``<type>``, the common
fields, ``baseUrl``, proxy settings, a ``parameters`` tree-map and
``exposedTableModelParams`` (the keys editable in rules). Secrets are written empty
unless asked for. ``caBundle`` and ``testPortal`` are our additions, ignored by ATSD.

A kind whose element carries fields of its own (a Custom endpoint's ``url``, ``method``
and ``body``; an AWS endpoint's ``accessKeyId``) subclasses :class:`EndpointXml` and
extends :meth:`EndpointXml.to_element` and :meth:`EndpointXml.apply`; its registry entry
names the instance.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

from django.utils.module_loading import import_string
from lxml import etree

from notifications.channels import registry
from notifications.models import Endpoint

COMPARATOR = "java.lang.String$CaseInsensitiveComparator"


@dataclass
class EndpointElement:
    """One element of an endpoint export, read: its leaf ``fields`` by tag, its
    ``parameters`` in file order and the ``exposed`` (rule-editable) keys."""

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


def _sub(parent: etree._Element, tag: str, text: str = "") -> etree._Element:
    child = etree.SubElement(parent, tag)
    child.text = text
    return child


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _tree_map(parent: etree._Element, items: Iterable[tuple[str, str]]) -> None:
    """A ``parameters`` tree-map of ``items``: a Java TreeMap with this comparator
    iterates keys case-insensitively sorted."""
    parameters = etree.SubElement(parent, "parameters", {"class": "tree-map"})
    etree.SubElement(parameters, "comparator", {"class": COMPARATOR})
    for key, value in sorted(items, key=lambda kv: kv[0].lower()):
        entry = etree.SubElement(parameters, "entry")
        _sub(entry, "string", key)
        _sub(entry, "string", value)


def _flag(fields: dict[str, str], name: str, default: bool) -> bool:
    raw = fields.get(name, "").strip().lower()
    return default if not raw else raw == "true"


def read_element(element: etree._Element, position: int) -> EndpointElement:
    """Any endpoint element, whatever its kind; unnamed ones are called ``#position``."""
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
    class_name = str(element.tag)
    kind = registry.kind_of_element(class_name, _text(element.find("type")))
    return EndpointElement(name, class_name, kind, fields, parameters, exposed)


class EndpointXml:
    """The element of one kind's endpoints: written by :meth:`to_element`, copied onto an
    endpoint by :meth:`apply`."""

    def __init__(self, kind: str) -> None:
        self.kind = registry.get_kind(kind).kind
        self.class_name = registry.get_kind(kind).xml_class

    def to_element(self, endpoint: Endpoint, *, include_secrets: bool = False) -> etree._Element:
        """The element of ``endpoint``; its secrets empty unless ``include_secrets``."""
        secret_keys = set(endpoint.secret_keys())
        element = self.start_element(endpoint)
        _sub(element, "ignoreSslErrors", _bool(endpoint.ignore_ssl_errors))
        _sub(element, "baseUrl", endpoint.base_url)
        _sub(element, "proxyUrl", endpoint.proxy_url)
        _sub(element, "proxyUsername", endpoint.proxy_username)
        _sub(element, "proxyPassword", endpoint.proxy_password if include_secrets else "")
        _sub(element, "caBundle", endpoint.ca_bundle)
        _sub(element, "testPortal", endpoint.test_portal)
        _tree_map(
            element,
            (
                (key, "" if key in secret_keys and not include_secrets else value)
                for key, value in endpoint.parameter_values().items()
            ),
        )
        exposed = etree.SubElement(element, "exposedTableModelParams", {"class": "sorted-set"})
        etree.SubElement(exposed, "comparator", {"class": COMPARATOR})
        for key in sorted(endpoint.editable_keys(), key=str.lower):
            _sub(exposed, "string", key)
        return element

    def start_element(self, endpoint: Endpoint) -> etree._Element:
        """The element of ``endpoint`` with the fields every class starts with."""
        element = etree.Element(self.class_name)
        if self.class_name == registry.WEB_CONFIG:
            _sub(element, "type", endpoint.kind)
        _sub(element, "enabled", _bool(endpoint.enabled))
        _sub(element, "logResponse", _bool(endpoint.log_response))
        _sub(element, "name", endpoint.name)
        _sub(element, "description", endpoint.description)
        return element

    def apply(self, read: EndpointElement, endpoint: Endpoint, order: tuple[str, ...]) -> None:
        """Copy ``read`` onto ``endpoint``: parameters in ``order`` (the form's), keys the
        file adds after them in file order. Exports leave secrets empty: an empty one
        keeps what this server already stores."""
        fields = read.fields
        stored = endpoint.parameter_values() if endpoint.pk else {}
        secret_keys = set(registry.get_kind(self.kind).secret_parameters)
        endpoint.kind = self.kind
        endpoint.enabled = _flag(fields, "enabled", True)
        endpoint.log_response = _flag(fields, "logResponse", False)
        endpoint.ignore_ssl_errors = _flag(fields, "ignoreSslErrors", False)
        endpoint.description = fields.get("description", "")
        endpoint.base_url = fields.get("baseUrl", "").strip()
        endpoint.proxy_url = fields.get("proxyUrl", "").strip()
        endpoint.proxy_username = fields.get("proxyUsername", "")
        endpoint.proxy_password = fields.get("proxyPassword", "") or endpoint.proxy_password
        endpoint.ca_bundle = fields.get("caBundle", "")
        endpoint.test_portal = fields.get("testPortal", "")
        values = dict(read.parameters)
        keys = list(order) + [k for k, _ in read.parameters if k not in order]
        endpoint.set_parameters(
            (key, values.get(key, "") or (stored.get(key, "") if key in secret_keys else ""),
             key in read.exposed)
            for key in keys
        )  # fmt: skip


def has_mapping(kind: str) -> bool:
    """Whether endpoints of ``kind`` can be written to and read from an export."""
    return kind.upper() in registry.KINDS and bool(registry.get_kind(kind).xml)


def mapping_for(kind: str) -> EndpointXml:
    """The XML mapping of ``kind`` (from the registry); LookupError when it has none."""
    if not has_mapping(kind):
        raise LookupError(f"endpoint type {kind} has no XML mapping yet")
    return cast(EndpointXml, import_string(registry.get_kind(kind).xml))


class AtsdElementXml(EndpointXml):
    """The element of a kind whose ATSD class carries fields of its own beside the
    ``parameters`` tree-map (``AwsApiNotificationConfig`` and its siblings, spec §2.6).

    ``fields`` are the element's own children in ATSD's order: ``url`` is the endpoint's
    ``base_url``, ``exposedTableModelParams`` is the set of rule-editable keys (omitted
    when the class has none, then ``default_editable`` says which keys rules edit), and
    every other tag is stored as a parameter of that name. ``tree_map`` names the keys
    that always belong in the tree-map.

    With ``body_parameters`` (AWS API), an exposed name that is neither a tree-map key nor
    a field is a parameter of the form-encoded ``body`` that rules may replace: it is
    stored as an editable parameter with an empty value (empty = the body's own value)
    and written back only in ``exposedTableModelParams``.

    Our settings that ATSD's class lacks (TLS, proxy, CA bundle, test portal) are written
    after ATSD's fields, and only when set, so that an ATSD element re-exports as it came.
    """

    def __init__(
        self,
        kind: str,
        fields: tuple[str, ...],
        *,
        tree_map: tuple[str, ...] = (),
        default_editable: tuple[str, ...] = (),
        body_parameters: bool = False,
    ) -> None:
        super().__init__(kind)
        self.fields = fields
        self.tree_map = tree_map
        self.default_editable = default_editable
        self.body_parameters = body_parameters

    @property
    def stored_fields(self) -> tuple[str, ...]:
        """The element fields kept as parameters (all but ``url`` and the exposed set)."""
        return tuple(f for f in self.fields if f not in ("url", "exposedTableModelParams"))

    def body_parameter_keys(self, endpoint: Endpoint) -> list[str]:
        """Editable keys that stand for a parameter of the body rather than a tree-map key."""
        if not self.body_parameters:
            return []
        skip = set(self.tree_map) | set(self.stored_fields)
        return [
            p["key"]
            for p in endpoint.parameters or []
            if p["editable"] and not p["value"] and p["key"] not in skip
        ]

    def to_element(self, endpoint: Endpoint, *, include_secrets: bool = False) -> etree._Element:
        """ATSD's element of ``endpoint``; its secrets empty unless ``include_secrets``."""
        secret_keys = set(endpoint.secret_keys())
        values = endpoint.parameter_values()

        def shown(key: str) -> str:
            return "" if key in secret_keys and not include_secrets else values.get(key, "")

        element = self.start_element(endpoint)
        outside = set(self.stored_fields) | set(self.body_parameter_keys(endpoint))
        # A secret of ours that ATSD's class lacks (a key file) is left out while empty.
        _tree_map(
            element,
            (
                (k, shown(k))
                for k in values
                if k not in outside and (shown(k) or k not in secret_keys)
            ),
        )
        for tag in self.fields:
            if tag == "url":
                _sub(element, "url", endpoint.base_url)
            elif tag == "exposedTableModelParams":
                exposed = etree.SubElement(element, tag, {"class": "sorted-set"})
                etree.SubElement(exposed, "comparator", {"class": COMPARATOR})
                for key in sorted(endpoint.editable_keys(), key=str.lower):
                    _sub(exposed, "string", key)
            else:
                _sub(element, tag, shown(tag))
        extras = {
            "ignoreSslErrors": _bool(True) if endpoint.ignore_ssl_errors else "",
            "proxyUrl": endpoint.proxy_url,
            "proxyUsername": endpoint.proxy_username,
            "proxyPassword": endpoint.proxy_password if include_secrets else "",
            "caBundle": endpoint.ca_bundle,
            "testPortal": endpoint.test_portal,
        }
        for tag, text in extras.items():
            if text:
                _sub(element, tag, text)
        return element

    def apply(self, read: EndpointElement, endpoint: Endpoint, order: tuple[str, ...]) -> None:
        """Copy ``read`` onto ``endpoint``: the tree-map and the element's own fields become
        parameters in ``order``; ``url`` becomes ``base_url``."""
        tree_keys = {key for key, _ in read.parameters}
        own = [(tag, read.fields.get(tag, "")) for tag in self.stored_fields]
        clash = tree_keys & set(self.stored_fields)
        if clash:
            raise ValueError(f"parameter {sorted(clash)[0]!r} is also a field of the element")
        has_exposed = "exposedTableModelParams" in self.fields
        exposed = set(read.exposed) if has_exposed else set(self.default_editable)
        body = sorted(exposed - tree_keys - set(self.stored_fields)) if self.body_parameters else []
        combined = EndpointElement(
            read.name,
            read.class_name,
            read.kind,
            read.fields,
            [*read.parameters, *own, *((name, "") for name in body)],
            exposed,
        )
        super().apply(combined, endpoint, order)
        endpoint.base_url = read.fields.get("url", "").strip()
