"""The one reader and writer of ``<webNotification>`` (spec §2.3) ↔ ``WebNotificationSpec``.

* :func:`read_web_notification` reads one element (raw XML text, bytes or a parsed
  element), filling the §2.3 defaults for absent children. ``rule-name`` is ignored
  (the owner decides); children nothing models are kept verbatim in
  ``extra_elements``. Bad values raise ``WebNotificationError`` naming the element.
* :func:`write_web_notification` writes a spec back as XML text in the element order
  of ATSD's exports, with a regenerated ``rule-name``.
* ``read(write(spec)) == spec`` for every spec the reader returns or the Web
  Notifications tab saves.

The rules.xml import keeps a rule's elements as XML text (``Rule.web_notifications_xml``)
and the engine's action settings, the notifications app's rows and the export are all
read from here.
"""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree

from atsd_alerts.safe_xml import make_parser
from rules.contract.bindings import (
    DEFAULT_DELAY_UNIT,
    DEFAULT_DETAILS_FORMAT,
    DETAILS_FORMAT_KEY,
    STRATEGY_TYPES,
    TRIGGERS,
    Delay,
    RepeatInterval,
    TriggerSettings,
    WebNotificationError,
    WebNotificationSpec,
    default_name,
)
from rules.rulesxml.fields import normalize_newlines, parse_bool, parse_strategy_type, parse_unit

# The XML spells the OPEN trigger "first".
XML_PREFIX = {"open": "first", "repeat": "repeat", "cancel": "cancel"}
PARAMS_TAG = {t: f"{XML_PREFIX[t]}WebConfigParameters" for t in TRIGGERS}

# Single-valued boolean children of the element → spec field.
_FLAGS = {
    "use-in-threshold-only": "use_in_threshold_only",
    "repeat-as-open": "repeat_as_open",
    "cancel-as-open": "cancel_as_open",
}
# Per-trigger children → (trigger, TriggerSettings field).
_TRIGGER_FLAGS = {
    f"{XML_PREFIX[t]}-{kind}": (t, kind)
    for t in TRIGGERS
    for kind in ("enabled", "details", "screenshot")
}
_PORTALS = {f"{XML_PREFIX[t]}-portal-ids": t for t in TRIGGERS}
_SINGLE = {
    "disabled",
    "rule-name",
    "name",
    "webNotificationConfigName",
    "first-delay",
    "repeat-interval",
    *_FLAGS,
    *_TRIGGER_FLAGS,
    *_PORTALS,
}
_PARAMS = {tag: trigger for trigger, tag in PARAMS_TAG.items()}


# ------------------------------------------------------------------ reading


class _TriggerReading:
    """One trigger's children as they are read."""

    def __init__(self) -> None:
        self.enabled = False
        self.details = False
        self.screenshot = False
        self.portal_ids = ""
        self.parameters: dict[str, str] = {}

    def settings(self) -> TriggerSettings:
        return TriggerSettings(
            self.enabled, self.parameters, self.details, self.screenshot, self.portal_ids
        )


class _Reading:
    """One element's children as they are read; ``spec()`` once all are."""

    def __init__(self, index: int) -> None:
        self.name = default_name(index)
        self.enabled = True
        self.endpoint = ""
        self.use_in_threshold_only = False
        self.open_delay = Delay()
        self.repeat_interval = RepeatInterval()
        self.repeat_as_open = False
        self.cancel_as_open = False
        self.triggers = {t: _TriggerReading() for t in TRIGGERS}
        self.extra: list[str] = []

    def spec(self) -> WebNotificationSpec:
        triggers = self.triggers
        return WebNotificationSpec(
            name=self.name,
            enabled=self.enabled,
            endpoint=self.endpoint,
            use_in_threshold_only=self.use_in_threshold_only,
            open_delay=self.open_delay,
            repeat_interval=self.repeat_interval,
            repeat_as_open=self.repeat_as_open,
            cancel_as_open=self.cancel_as_open,
            open=triggers["open"].settings(),
            repeat=triggers["repeat"].settings(),
            cancel=triggers["cancel"].settings(),
            details_format=_details_format({t: r.parameters for t, r in triggers.items()}),
            extra_elements=tuple(self.extra),
        )


def read_web_notification(
    raw: str | bytes | etree._Element, *, index: int = 0
) -> WebNotificationSpec:
    """The spec of one ``<webNotification>`` (see the module contract).

    ``index`` is the element's position in its rule, used only for the default name.
    Raises ``WebNotificationError`` for XML that is not well-formed, another root
    element, a repeated single element, or a value of the wrong type.
    """
    element = _element(raw)
    if element.tag != "webNotification":
        raise WebNotificationError(str(element.tag), "expected <webNotification>")
    reading = _Reading(index)
    seen: set[str] = set()
    for child in element:
        if not isinstance(child.tag, str):
            continue  # comments and processing instructions carry nothing
        tag = child.tag
        if tag in _SINGLE:
            if tag in seen:
                raise WebNotificationError(tag, "appears more than once")
            seen.add(tag)
        try:
            _read_child(tag, child, reading)
        except WebNotificationError:
            raise
        except ValueError as exc:
            raise WebNotificationError(tag, str(exc)) from None
    return reading.spec()


def read_web_notifications(raws: Iterable[str]) -> list[WebNotificationSpec]:
    """``read_web_notification`` of a rule's elements, in order."""
    return [read_web_notification(raw, index=index) for index, raw in enumerate(raws)]


def _element(raw: str | bytes | etree._Element) -> etree._Element:
    if isinstance(raw, etree._Element):
        return raw
    data = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
    try:
        # Raw elements live in the database, written by our own reader; the hardened
        # parser is used all the same (no entities, no network).
        return etree.fromstring(data, make_parser())
    except etree.XMLSyntaxError as exc:
        raise WebNotificationError("webNotification", f"not well-formed XML: {exc}") from None


def _read_child(tag: str, child: etree._Element, reading: _Reading) -> None:
    if tag == "disabled":
        reading.enabled = not _bool(child, default=False)
    elif tag == "rule-name":
        pass  # regenerated from the owner when written
    elif tag == "name":
        name = _text(child).strip()
        if name:
            reading.name = name
    elif tag == "webNotificationConfigName":
        reading.endpoint = _text(child).strip()
    elif tag == "first-delay":
        parts = _block(child, {"intervalCount", "intervalUnit"})
        reading.open_delay = Delay(
            _count(parts.get("intervalCount", ""), 0),
            _unit(parts.get("intervalUnit", ""), DEFAULT_DELAY_UNIT),
        )
    elif tag == "repeat-interval":
        parts = _block(child, {"type", "intervalCount", "intervalUnit"})
        default = RepeatInterval()
        reading.repeat_interval = RepeatInterval(
            parse_strategy_type(parts["type"]) if parts.get("type") else default.type,
            _count(parts.get("intervalCount", ""), default.count),
            _unit(parts.get("intervalUnit", ""), default.unit),
        )
    elif tag in _FLAGS:
        setattr(reading, _FLAGS[tag], _bool(child, default=False))
    elif tag in _TRIGGER_FLAGS:
        trigger, name = _TRIGGER_FLAGS[tag]
        setattr(reading.triggers[trigger], name, _bool(child, default=False))
    elif tag in _PORTALS:
        reading.triggers[_PORTALS[tag]].portal_ids = _text(child).strip()
    elif tag in _PARAMS:
        key, value = _parameter(child)
        params = reading.triggers[_PARAMS[tag]].parameters
        if key in params:
            raise WebNotificationError(tag, f"parameter {key!r} appears more than once")
        params[key] = value
    else:
        reading.extra.append(_raw(child))


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


def _details_format(parameters: dict[str, dict[str, str]]) -> str:
    """§2.3: the ``details_table_format`` parameter if the binding has one, else ascii."""
    for trigger in TRIGGERS:
        found = str(parameters[trigger].get(DETAILS_FORMAT_KEY, "")).strip()
        if found:
            return found
    return DEFAULT_DETAILS_FORMAT


# ------------------------------------------------------------------ writing


def write_web_notification(spec: WebNotificationSpec, rule_name: str) -> str:
    """``<webNotification>`` XML text for ``spec``, owned by ``rule_name``.

    ``first-delay`` is written only when a delay is set and ``…-portal-ids`` only when
    not empty, as ATSD's exports do; every other modelled element is always written.
    A non-ascii ``details_format`` that no parameter carries is written as the
    ``details_table_format`` parameter of OPEN (the only place rules.xml has for it).
    Raises ``WebNotificationError`` for text XML cannot hold (control characters).
    """
    params = {t: dict(spec.trigger(t).parameters) for t in TRIGGERS}
    if spec.details_format != DEFAULT_DETAILS_FORMAT and not any(
        DETAILS_FORMAT_KEY in params[t] for t in TRIGGERS
    ):
        params["open"][DETAILS_FORMAT_KEY] = spec.details_format

    root = etree.Element("webNotification")
    root.text = "\n"
    try:
        _add(root, "disabled", _flag(not spec.enabled))
        _add(root, "rule-name", rule_name)
        delay = spec.open_delay
        if delay.count or delay.unit != DEFAULT_DELAY_UNIT:
            _add_block(
                root,
                "first-delay",
                [("intervalCount", str(delay.count)), ("intervalUnit", delay.unit)],
            )
        strategy = spec.repeat_interval
        if strategy.type not in STRATEGY_TYPES:
            raise WebNotificationError("repeat-interval", f"unknown type {strategy.type!r}")
        _add_block(
            root,
            "repeat-interval",
            [
                ("type", strategy.type),
                ("intervalCount", str(strategy.count)),
                ("intervalUnit", strategy.unit),
            ],
        )
        _add(root, "name", spec.name)
        _add(root, "use-in-threshold-only", _flag(spec.use_in_threshold_only))
        for kind in ("details", "screenshot"):
            for trigger in TRIGGERS:
                value = getattr(spec.trigger(trigger), kind)
                _add(root, f"{XML_PREFIX[trigger]}-{kind}", _flag(value))
        for trigger in TRIGGERS:
            if spec.trigger(trigger).portal_ids:
                portal_ids = spec.trigger(trigger).portal_ids
                _add(root, f"{XML_PREFIX[trigger]}-portal-ids", portal_ids)
        _add(root, "repeat-as-open", _flag(spec.repeat_as_open))
        _add(root, "cancel-as-open", _flag(spec.cancel_as_open))
        _add(root, "webNotificationConfigName", spec.endpoint)
        for trigger in TRIGGERS:
            for key, value in params[trigger].items():
                _add_block(root, PARAMS_TAG[trigger], [("key", key), ("value", value)])
        for trigger in TRIGGERS:
            _add(root, f"{XML_PREFIX[trigger]}-enabled", _flag(spec.trigger(trigger).enabled))
        for raw in spec.extra_elements:
            child = _element(raw)
            child.tail = "\n"
            root.append(child)
    except ValueError as exc:
        if isinstance(exc, WebNotificationError):
            raise
        # lxml refuses control characters: "All strings must be XML compatible".
        raise WebNotificationError("webNotification", str(exc)) from None
    return etree.tostring(root, encoding="unicode")


def write_web_notifications(specs: Iterable[WebNotificationSpec], rule_name: str) -> list[str]:
    """``write_web_notification`` of each spec, in order: a rule's ``web_notifications_xml``."""
    return [write_web_notification(spec, rule_name) for spec in specs]


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
