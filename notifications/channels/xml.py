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
        element = etree.Element(self.class_name)
        if self.class_name == registry.WEB_CONFIG:
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
