"""``<webNotification>`` (spec §2.3) ↔ ``RuleNotification`` field values.

Contract:

* :func:`parse_web_notification` reads one element (raw XML text, bytes or a parsed
  element) into a dict holding exactly the keys of :data:`FIELDS`, filling the
  §2.3 defaults for absent elements. ``rule-name`` is ignored (the owner decides),
  children we do not model are kept verbatim in ``raw_extra``. Bad values raise
  :class:`BindingXmlError` naming the element.
* :func:`render_web_notification` writes those values back as XML text in the
  element order of ATSD's exports, with a regenerated ``rule-name``.
* ``parse(render(values)) == values`` field by field for any ``values`` returned by
  :func:`parse_web_notification` or :func:`binding_values` of a row saved by the tab.
  Parameter dicts compare without regard to key order (PostgreSQL ``jsonb`` does not
  keep it), which is also how :func:`same_bindings` compares.

Parameter values are templates and stay text: legacy values such as
``${asciiDetailsTable}`` are kept as written (the renderer of messages handles them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from lxml import etree

from atsd_alerts.safe_xml import make_parser
from rules.rulesxml.fields import (
    STRATEGY_TYPES,
    normalize_newlines,
    parse_bool,
    parse_strategy_type,
    parse_unit,
)

TRIGGERS = ("open", "repeat", "cancel")
# The XML spells the OPEN trigger "first".
XML_PREFIX = {"open": "first", "repeat": "repeat", "cancel": "cancel"}
PARAMS_TAG = {t: f"{XML_PREFIX[t]}WebConfigParameters" for t in TRIGGERS}
DETAILS_FORMAT_KEY = "details_table_format"
DETAILS_FORMATS = ("ascii", "markdown", "html", "csv", "property")
DEFAULT_DETAILS_FORMAT = "ascii"
DEFAULT_DELAY_UNIT = "SECOND"
NAME_PREFIX = "Web Service Notification id="

FIELDS: tuple[str, ...] = (
    "name",
    "enabled",
    "endpoint_name",
    "use_in_threshold_only",
    "open_delay_count",
    "open_delay_unit",
    "repeat_strategy",
    "repeat_as_open",
    "cancel_as_open",
    *(f"{t}_enabled" for t in TRIGGERS),
    *(f"{t}_params" for t in TRIGGERS),
    *(f"{t}_details" for t in TRIGGERS),
    "details_format",
    *(f"{t}_screenshot" for t in TRIGGERS),
    *(f"{t}_portal_ids" for t in TRIGGERS),
    "raw_extra",
)

# Single-valued boolean elements → field.
_BOOLEANS = {
    "use-in-threshold-only": "use_in_threshold_only",
    "repeat-as-open": "repeat_as_open",
    "cancel-as-open": "cancel_as_open",
    **{f"{XML_PREFIX[t]}-enabled": f"{t}_enabled" for t in TRIGGERS},
    **{f"{XML_PREFIX[t]}-details": f"{t}_details" for t in TRIGGERS},
    **{f"{XML_PREFIX[t]}-screenshot": f"{t}_screenshot" for t in TRIGGERS},
}
_PORTALS = {f"{XML_PREFIX[t]}-portal-ids": f"{t}_portal_ids" for t in TRIGGERS}
_SINGLE = {
    "disabled",
    "rule-name",
    "name",
    "webNotificationConfigName",
    "first-delay",
    "repeat-interval",
    *_BOOLEANS,
    *_PORTALS,
}
_PARAMS = {tag: trigger for trigger, tag in PARAMS_TAG.items()}


class BindingXmlError(ValueError):
    """A ``<webNotification>`` that cannot be read: ``element`` is the child at fault."""

    def __init__(self, element: str, reason: str) -> None:
        self.element = element
        self.reason = reason
        super().__init__(f"<{element}>: {reason}" if element else reason)


def default_name(index: int) -> str:
    """ATSD's name for a binding without one: ``Web Service Notification id=<index+1>``."""
    return f"{NAME_PREFIX}{index + 1}"


def default_strategy() -> dict[str, Any]:
    """``ALL`` with the count and unit ATSD writes for it (ignored, but round-tripped)."""
    return {"type": "ALL", "count": 5, "unit": "MINUTE"}


def default_values(index: int = 0) -> dict[str, Any]:
    """Field values of a ``<webNotification/>`` with no children (the §2.3 defaults)."""
    values: dict[str, Any] = {
        "name": default_name(index),
        "enabled": True,
        "endpoint_name": "",
        "use_in_threshold_only": False,
        "open_delay_count": 0,
        "open_delay_unit": DEFAULT_DELAY_UNIT,
        "repeat_strategy": default_strategy(),
        "repeat_as_open": False,
        "cancel_as_open": False,
        "details_format": DEFAULT_DETAILS_FORMAT,
        "raw_extra": [],
    }
    for trigger in TRIGGERS:
        values[f"{trigger}_enabled"] = False
        values[f"{trigger}_params"] = {}
        values[f"{trigger}_details"] = False
        values[f"{trigger}_screenshot"] = False
        values[f"{trigger}_portal_ids"] = ""
    return values


# ------------------------------------------------------------------ parsing


def parse_web_notification(raw: str | bytes | etree._Element, *, index: int = 0) -> dict[str, Any]:
    """Field values of one ``<webNotification>`` (see the module contract).

    ``index`` is the element's position in its rule, used only for the default name.
    Raises :class:`BindingXmlError` for XML that is not well-formed, another root
    element, a repeated single element, or a value of the wrong type.
    """
    element = _element(raw)
    if element.tag != "webNotification":
        raise BindingXmlError(str(element.tag), "expected <webNotification>")
    values = default_values(index)
    seen: set[str] = set()
    for child in element:
        if not isinstance(child.tag, str):
            continue  # comments and processing instructions carry nothing
        tag = child.tag
        if tag in _SINGLE:
            if tag in seen:
                raise BindingXmlError(tag, "appears more than once")
            seen.add(tag)
        try:
            _read_child(tag, child, values)
        except BindingXmlError:
            raise
        except ValueError as exc:
            raise BindingXmlError(tag, str(exc)) from None
    values["details_format"] = _details_format(values)
    return values


def _element(raw: str | bytes | etree._Element) -> etree._Element:
    if isinstance(raw, etree._Element):
        return raw
    data = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
    try:
        # Raw elements live in the database, written by our own reader; the hardened
        # parser is used all the same (no entities, no network).
        return etree.fromstring(data, make_parser())
    except etree.XMLSyntaxError as exc:
        raise BindingXmlError("webNotification", f"not well-formed XML: {exc}") from None


def _read_child(tag: str, child: etree._Element, values: dict[str, Any]) -> None:
    if tag == "disabled":
        values["enabled"] = not _bool(child, default=False)
    elif tag == "rule-name":
        pass  # regenerated from the owner on render
    elif tag == "name":
        name = _text(child).strip()
        if name:
            values["name"] = name
    elif tag == "webNotificationConfigName":
        values["endpoint_name"] = _text(child).strip()
    elif tag == "first-delay":
        parts = _block(child, {"intervalCount", "intervalUnit"})
        values["open_delay_count"] = _count(parts.get("intervalCount", ""), 0)
        values["open_delay_unit"] = _unit(parts.get("intervalUnit", ""), DEFAULT_DELAY_UNIT)
    elif tag == "repeat-interval":
        parts = _block(child, {"type", "intervalCount", "intervalUnit"})
        default = default_strategy()
        values["repeat_strategy"] = {
            "type": parse_strategy_type(parts["type"]) if parts.get("type") else default["type"],
            "count": _count(parts.get("intervalCount", ""), default["count"]),
            "unit": _unit(parts.get("intervalUnit", ""), default["unit"]),
        }
    elif tag in _BOOLEANS:
        values[_BOOLEANS[tag]] = _bool(child, default=False)
    elif tag in _PORTALS:
        values[_PORTALS[tag]] = _text(child).strip()
    elif tag in _PARAMS:
        key, value = _parameter(child)
        params = values[f"{_PARAMS[tag]}_params"]
        if key in params:
            raise BindingXmlError(tag, f"parameter {key!r} appears more than once")
        params[key] = value
    else:
        values["raw_extra"].append(_raw(child))


def _text(element: etree._Element) -> str:
    return normalize_newlines(element.text or "")


def _bool(element: etree._Element, *, default: bool) -> bool:
    text = _text(element).strip()
    return parse_bool(text) if text else default


def _count(text: str, default: int) -> int:
    text = text.strip()
    if not text:
        return default
    try:
        number = int(text)
    except ValueError:
        raise ValueError(f"intervalCount {text!r} is not an integer") from None
    if number < 0:
        raise ValueError(f"intervalCount {number} is negative")
    return number


def _unit(text: str, default: str) -> str:
    return parse_unit(text) if text.strip() else default


def _block(element: etree._Element, allowed: set[str]) -> dict[str, str]:
    parts: dict[str, str] = {}
    for child in element:
        if not isinstance(child.tag, str):
            continue
        if child.tag not in allowed:
            expected = ", ".join(sorted(allowed))
            raise ValueError(f"unexpected child <{child.tag}>; expected {expected}")
        if child.tag in parts:
            raise ValueError(f"<{child.tag}> appears more than once")
        parts[child.tag] = _text(child).strip()
    return parts


def _parameter(element: etree._Element) -> tuple[str, str]:
    key: str | None = None
    value = ""
    for child in element:
        if not isinstance(child.tag, str):
            continue
        if child.tag == "key":
            key = _text(child).strip()
        elif child.tag == "value":
            value = _text(child)  # a template: spaces and newlines are the author's
        else:
            raise ValueError(f"unexpected child <{child.tag}>; expected key and value")
    if not key:
        raise ValueError("a parameter without <key>")
    return key, value


def _raw(element: etree._Element) -> str:
    for node in element.iter():
        if node.text:
            node.text = normalize_newlines(node.text)
        if node is not element and node.tail:
            node.tail = normalize_newlines(node.tail)
    return etree.tostring(element, encoding="unicode", with_tail=False)


def _details_format(values: Mapping[str, Any]) -> str:
    """§2.3: the ``details_table_format`` parameter if the binding has one, else ascii."""
    for trigger in TRIGGERS:
        found = str(values[f"{trigger}_params"].get(DETAILS_FORMAT_KEY, "")).strip()
        if found:
            return found
    return DEFAULT_DETAILS_FORMAT


# ---------------------------------------------------------------- rendering


def binding_values(row: Any) -> dict[str, Any]:
    """The :data:`FIELDS` of a ``RuleNotification`` (or a mapping), normalised for comparison."""
    get = row.get if isinstance(row, Mapping) else lambda name: getattr(row, name)
    values = {name: get(name) for name in FIELDS}
    strategy = dict(values["repeat_strategy"] or {})
    default = default_strategy()
    values["repeat_strategy"] = {
        "type": str(strategy.get("type") or default["type"]).upper(),
        "count": int(strategy.get("count", default["count"]) or 0),
        "unit": str(strategy.get("unit") or default["unit"]).upper(),
    }
    values["open_delay_count"] = int(values["open_delay_count"] or 0)
    values["open_delay_unit"] = str(values["open_delay_unit"] or DEFAULT_DELAY_UNIT).upper()
    for trigger in TRIGGERS:
        values[f"{trigger}_params"] = {
            str(k): str(v) for k, v in (values[f"{trigger}_params"] or {}).items()
        }
        values[f"{trigger}_portal_ids"] = str(values[f"{trigger}_portal_ids"] or "")
    values["raw_extra"] = list(values["raw_extra"] or [])
    values["details_format"] = str(values["details_format"] or DEFAULT_DETAILS_FORMAT)
    return values


def same_bindings(left: Iterable[Any], right: Iterable[Any]) -> bool:
    """True when two ordered lists of rows or value mappings are equal field by field."""
    a = [binding_values(v) for v in left]
    b = [binding_values(v) for v in right]
    return a == b


def render_web_notification(values: Any, rule_name: str) -> str:
    """``<webNotification>`` XML text for a row or a values mapping, owned by ``rule_name``.

    ``first-delay`` is written only when a delay is set and ``…-portal-ids`` only when
    not empty, as ATSD's exports do; every other modelled element is always written.
    A non-ascii ``details_format`` that no parameter carries is written as the
    ``details_table_format`` parameter of OPEN (the only place rules.xml has for it).
    Raises :class:`BindingXmlError` for text XML cannot hold (control characters).
    """
    v = binding_values(values)
    params = {t: dict(v[f"{t}_params"]) for t in TRIGGERS}
    if v["details_format"] != DEFAULT_DETAILS_FORMAT and not any(
        DETAILS_FORMAT_KEY in params[t] for t in TRIGGERS
    ):
        params["open"][DETAILS_FORMAT_KEY] = v["details_format"]

    root = etree.Element("webNotification")
    root.text = "\n"
    try:
        _add(root, "disabled", _flag(not v["enabled"]))
        _add(root, "rule-name", rule_name)
        if v["open_delay_count"] or v["open_delay_unit"] != DEFAULT_DELAY_UNIT:
            delay = [
                ("intervalCount", str(v["open_delay_count"])),
                ("intervalUnit", v["open_delay_unit"]),
            ]
            _add_block(root, "first-delay", delay)
        strategy = v["repeat_strategy"]
        if strategy["type"] not in STRATEGY_TYPES:
            raise BindingXmlError("repeat-interval", f"unknown type {strategy['type']!r}")
        _add_block(
            root,
            "repeat-interval",
            [
                ("type", strategy["type"]),
                ("intervalCount", str(strategy["count"])),
                ("intervalUnit", strategy["unit"]),
            ],
        )
        _add(root, "name", v["name"])
        _add(root, "use-in-threshold-only", _flag(v["use_in_threshold_only"]))
        for kind in ("details", "screenshot"):
            for trigger in TRIGGERS:
                _add(root, f"{XML_PREFIX[trigger]}-{kind}", _flag(v[f"{trigger}_{kind}"]))
        for trigger in TRIGGERS:
            if v[f"{trigger}_portal_ids"]:
                _add(root, f"{XML_PREFIX[trigger]}-portal-ids", v[f"{trigger}_portal_ids"])
        _add(root, "repeat-as-open", _flag(v["repeat_as_open"]))
        _add(root, "cancel-as-open", _flag(v["cancel_as_open"]))
        _add(root, "webNotificationConfigName", v["endpoint_name"])
        for trigger in TRIGGERS:
            for key, value in params[trigger].items():
                _add_block(root, PARAMS_TAG[trigger], [("key", key), ("value", value)])
        for trigger in TRIGGERS:
            _add(root, f"{XML_PREFIX[trigger]}-enabled", _flag(v[f"{trigger}_enabled"]))
        for raw in v["raw_extra"]:
            child = _element(raw)
            child.tail = "\n"
            root.append(child)
    except ValueError as exc:
        if isinstance(exc, BindingXmlError):
            raise
        # lxml refuses control characters: "All strings must be XML compatible".
        raise BindingXmlError("webNotification", str(exc)) from None
    return etree.tostring(root, encoding="unicode")


def render_bindings(rows: Iterable[Any], rule_name: str) -> list[str]:
    """``render_web_notification`` of each row, in order: a rule's ``web_notifications_xml``."""
    return [render_web_notification(row, rule_name) for row in rows]


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _add(parent: etree._Element, tag: str, text: str) -> None:
    child = etree.SubElement(parent, tag)
    if text:
        child.text = text
    child.tail = "\n"


def _add_block(parent: etree._Element, tag: str, children: list[tuple[str, str]]) -> None:
    block = etree.SubElement(parent, tag)
    block.text = "\n"
    block.tail = "\n"
    for name, text in children:
        _add(block, name, text)
