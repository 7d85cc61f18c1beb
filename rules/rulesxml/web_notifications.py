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

from rules.contract.bindings import (
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
from rules.rulesxml.elements import (
    add,
    add_block,
    add_delay,
    add_repeat_interval,
    bool_of,
    delay_of,
    element_of,
    flag,
    raw_of,
    read_children,
    repeat_interval_of,
    text_of,
)

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
    element = element_of(raw, WebNotificationError, "webNotification")
    reading = _Reading(index)
    read_children(
        element, _SINGLE, lambda tag, child: _read_child(tag, child, reading), WebNotificationError
    )
    return reading.spec()


def read_web_notifications(raws: Iterable[str]) -> list[WebNotificationSpec]:
    """``read_web_notification`` of a rule's elements, in order."""
    return [read_web_notification(raw, index=index) for index, raw in enumerate(raws)]


def _read_child(tag: str, child: etree._Element, reading: _Reading) -> None:
    if tag == "disabled":
        reading.enabled = not bool_of(child, default=False)
    elif tag == "rule-name":
        pass  # regenerated from the owner when written
    elif tag == "name":
        name = text_of(child).strip()
        if name:
            reading.name = name
    elif tag == "webNotificationConfigName":
        reading.endpoint = text_of(child).strip()
    elif tag == "first-delay":
        reading.open_delay = delay_of(child)
    elif tag == "repeat-interval":
        reading.repeat_interval = repeat_interval_of(child)
    elif tag in _FLAGS:
        setattr(reading, _FLAGS[tag], bool_of(child, default=False))
    elif tag in _TRIGGER_FLAGS:
        trigger, name = _TRIGGER_FLAGS[tag]
        setattr(reading.triggers[trigger], name, bool_of(child, default=False))
    elif tag in _PORTALS:
        reading.triggers[_PORTALS[tag]].portal_ids = text_of(child).strip()
    elif tag in _PARAMS:
        key, value = _parameter(child)
        params = reading.triggers[_PARAMS[tag]].parameters
        if key in params:
            raise WebNotificationError(tag, f"parameter {key!r} appears more than once")
        params[key] = value
    else:
        reading.extra.append(raw_of(child))


def _parameter(element: etree._Element) -> tuple[str, str]:
    key: str | None = None
    value = ""
    for child in element:
        if not isinstance(child.tag, str):
            continue
        if child.tag == "key":
            key = text_of(child).strip()
        elif child.tag == "value":
            value = text_of(child)  # a template: spaces and newlines are the author's
        else:
            raise ValueError(f"unexpected child <{child.tag}>; expected key and value")
    if not key:
        raise ValueError("a parameter without <key>")
    return key, value


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
        add(root, "disabled", flag(not spec.enabled))
        add(root, "rule-name", rule_name)
        add_delay(root, spec.open_delay)
        if spec.repeat_interval.type not in STRATEGY_TYPES:
            raise WebNotificationError(
                "repeat-interval", f"unknown type {spec.repeat_interval.type!r}"
            )
        add_repeat_interval(root, spec.repeat_interval)
        add(root, "name", spec.name)
        add(root, "use-in-threshold-only", flag(spec.use_in_threshold_only))
        for kind in ("details", "screenshot"):
            for trigger in TRIGGERS:
                value = getattr(spec.trigger(trigger), kind)
                add(root, f"{XML_PREFIX[trigger]}-{kind}", flag(value))
        for trigger in TRIGGERS:
            if spec.trigger(trigger).portal_ids:
                portal_ids = spec.trigger(trigger).portal_ids
                add(root, f"{XML_PREFIX[trigger]}-portal-ids", portal_ids)
        add(root, "repeat-as-open", flag(spec.repeat_as_open))
        add(root, "cancel-as-open", flag(spec.cancel_as_open))
        add(root, "webNotificationConfigName", spec.endpoint)
        for trigger in TRIGGERS:
            for key, value in params[trigger].items():
                add_block(root, PARAMS_TAG[trigger], [("key", key), ("value", value)])
        for trigger in TRIGGERS:
            add(root, f"{XML_PREFIX[trigger]}-enabled", flag(spec.trigger(trigger).enabled))
        for raw in spec.extra_elements:
            child = element_of(raw, WebNotificationError)
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
