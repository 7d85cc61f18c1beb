"""CUSTOM endpoints in ``*-notification.xml``: ATSD's own shape (spec §2.6).

A ``WebNotificationConfig`` without ``<type>``: the common fields, then ``method``,
``contentType``, ``url``, ``headers`` (``Name: value`` lines), ``body``, ``authType``,
``username``, ``password`` (empty unless secrets are asked for),
``exposedTableModelParams``, which lists the form-body fields rules may set
(placeholders are rule keys anyway), and ``linkType`` when the element had one. Our
additions (proxy, CA bundle, test portal, AWS region and service) are written only when
set, so ATSD's files re-export as they came.
"""

from __future__ import annotations

from lxml import etree

from notifications.channels.custom.form import add_rule_keys
from notifications.channels.custom.request import JSON, SETTINGS, form_field_names
from notifications.channels.xml import COMPARATOR, EndpointElement, EndpointXml
from notifications.models import Endpoint

#: (element, parameter) of the request settings, in ATSD's order.
REQUEST_FIELDS = (
    ("method", "method"),
    ("contentType", "content_type"),
    ("url", "url"),
    ("headers", "headers"),
    ("body", "body"),
    ("authType", "auth_type"),
    ("username", "username"),
    ("password", "password"),
)
#: Our additions: (element, endpoint attribute or parameter), written when not empty.
EXTRA_FIELDS = (
    ("baseUrl", "base_url"),
    ("proxyUrl", "proxy_url"),
    ("proxyUsername", "proxy_username"),
    ("proxyPassword", "proxy_password"),
    ("caBundle", "ca_bundle"),
    ("testPortal", "test_portal"),
    ("awsRegion", "aws_region"),
    ("awsService", "aws_service"),
)
DEFAULTS = {"method": "POST", "content_type": JSON, "auth_type": "NONE"}


def _sub(parent: etree._Element, tag: str, text: str) -> None:
    etree.SubElement(parent, tag).text = text


def _bool(value: bool) -> str:
    return "true" if value else "false"


class CustomXml(EndpointXml):
    """The CUSTOM element, read and written."""

    def to_element(self, endpoint: Endpoint, *, include_secrets: bool = False) -> etree._Element:
        values = endpoint.parameter_values()
        element = etree.Element(self.class_name)
        _sub(element, "enabled", _bool(endpoint.enabled))
        _sub(element, "logResponse", _bool(endpoint.log_response))
        _sub(element, "name", endpoint.name)
        _sub(element, "description", endpoint.description)
        _sub(element, "ignoreSslErrors", _bool(endpoint.ignore_ssl_errors))
        for tag, key in REQUEST_FIELDS:
            secret = key == "password" and not include_secrets
            _sub(element, tag, "" if secret else values.get(key, ""))
        for tag, name in EXTRA_FIELDS:
            value = values.get(name, "") if name.startswith("aws_") else getattr(endpoint, name)
            if name == "proxy_password" and not include_secrets:
                value = ""
            if value:
                _sub(element, tag, value)
        exposed = etree.SubElement(element, "exposedTableModelParams", {"class": "sorted-set"})
        etree.SubElement(exposed, "comparator", {"class": COMPARATOR})
        fields = form_field_names(values.get("body", ""), values.get("content_type") or JSON)
        for key in sorted((k for k in endpoint.editable_keys() if k in fields), key=str.lower):
            _sub(exposed, "string", key)
        if values.get("link_type"):
            _sub(element, "linkType", values["link_type"])
        return element

    def apply(self, read: EndpointElement, endpoint: Endpoint, order: tuple[str, ...]) -> None:
        stored = endpoint.parameter_values() if endpoint.pk else {}
        super().apply(read, endpoint, ())
        fields = read.fields
        endpoint.base_url = fields.get("baseUrl", "").strip()
        rows: list[tuple[str, str, bool]] = []
        for tag, key in (
            *REQUEST_FIELDS,
            ("awsRegion", "aws_region"),
            ("awsService", "aws_service"),
            ("linkType", "link_type"),
        ):
            value = fields.get(tag, "") or DEFAULTS.get(key, "")
            if key == "password":
                value = value or stored.get("password", "")
            rows.append((key, value, False))
        ordered = sorted(rows, key=lambda row: SETTINGS.index(row[0]))
        endpoint.set_parameters(ordered)
        add_rule_keys(endpoint, stored, exposed=read.exposed)


MAPPING = CustomXml("CUSTOM")
