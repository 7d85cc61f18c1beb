"""The one reader and writer of ``<emailNotification>`` (spec §2.4) ↔ ``EmailNotificationSpec``.

* :func:`read_email_notification` reads one element (raw XML text, bytes or a parsed
  element), filling defaults for absent children; ``rule-name`` is ignored (the owner
  decides); children nothing models are kept verbatim in ``extra_elements``. Bad
  values raise ``EmailNotificationError`` naming the element.
* :func:`write_email_notification` writes a spec back in the element order of ATSD's
  exports, with a regenerated ``rule-name``.
* ``read(write(spec)) == spec`` for every spec the reader returns or the Email
  Notifications tab saves.

A rule keeps its elements as XML text (``Rule.email_notifications_xml``): an import
stores them as they came (so an export gives them back unchanged) and only an edit on
the tab rewrites them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lxml import etree

from rules.contract.bindings import TRIGGERS
from rules.contract.email_bindings import (
    EmailNotificationError,
    EmailNotificationSpec,
    EmailTriggerSettings,
    default_name,
)
from rules.rulesxml.elements import (
    add,
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
from rules.rulesxml.fields import parse_int

ROOT = "emailNotification"
# The XML spells the OPEN trigger "first".
XML_PREFIX = {"open": "first", "repeat": "repeat", "cancel": "cancel"}
SUBJECT_TAG = {t: f"{XML_PREFIX[t]}-subject" for t in TRIGGERS}
BODY_TAG = {t: f"body-{XML_PREFIX[t]}" for t in TRIGGERS}

# Per-trigger children → (trigger, EmailTriggerSettings field).
_TRIGGER_FIELDS = {
    **{
        f"{XML_PREFIX[t]}-{kind}": (t, kind) for t in TRIGGERS for kind in ("details", "screenshot")
    },
    **{f"{XML_PREFIX[t]}-portal-ids": (t, "portal_ids") for t in TRIGGERS},
    **{SUBJECT_TAG[t]: (t, "subject") for t in TRIGGERS},
    **{BODY_TAG[t]: (t, "body") for t in TRIGGERS},
}
_FLAGS = {
    "use-in-threshold-only": "use_in_threshold_only",
    "repeat-as-open": "repeat_as_open",
    "cancel-as-open": "cancel_as_open",
    "merge": "merge",
}
_TEXTS = {"recipients": "recipients"}
_SINGLE = {
    "disabled",
    "rule-name",
    "name",
    "first-delay",
    "repeat-interval",
    "priority",
    *_FLAGS,
    *_TEXTS,
    *_TRIGGER_FIELDS,
}


def read_email_notification(
    raw: str | bytes | etree._Element, *, index: int = 0
) -> EmailNotificationSpec:
    """The spec of one ``<emailNotification>`` (see the module contract).

    ``index`` is the element's position in its rule, used only for the default name.
    """
    element = element_of(raw, EmailNotificationError, ROOT)
    values: dict[str, Any] = {"name": default_name(index)}
    triggers: dict[str, dict[str, Any]] = {t: {} for t in TRIGGERS}
    extra: list[str] = []
    read_children(
        element,
        _SINGLE,
        lambda tag, child: _read_child(tag, child, values, triggers, extra),
        EmailNotificationError,
    )
    for trigger in TRIGGERS:
        values[trigger] = EmailTriggerSettings(**triggers[trigger])
    return EmailNotificationSpec(**values, extra_elements=tuple(extra))


def read_email_notifications(raws: Iterable[str]) -> list[EmailNotificationSpec]:
    """``read_email_notification`` of a rule's elements, in order."""
    return [read_email_notification(raw, index=index) for index, raw in enumerate(raws)]


def _read_child(
    tag: str,
    child: etree._Element,
    values: dict[str, Any],
    triggers: dict[str, dict[str, Any]],
    extra: list[str],
) -> None:
    if tag == "disabled":
        values["enabled"] = not bool_of(child, default=False)
    elif tag == "rule-name":
        pass  # regenerated from the owner when written
    elif tag == "name":
        name = text_of(child).strip()
        if name:
            values["name"] = name
    elif tag == "first-delay":
        values["open_delay"] = delay_of(child)
    elif tag == "repeat-interval":
        values["repeat_interval"] = repeat_interval_of(child)
    elif tag == "priority":
        text = text_of(child).strip()
        values["priority"] = parse_int(text, minimum=0) if text else 0
    elif tag in _FLAGS:
        values[_FLAGS[tag]] = bool_of(child, default=False)
    elif tag in _TEXTS:
        values[_TEXTS[tag]] = text_of(child).strip()
    elif tag in _TRIGGER_FIELDS:
        trigger, name = _TRIGGER_FIELDS[tag]
        if name in ("details", "screenshot"):
            triggers[trigger][name] = bool_of(child, default=False)
        elif name == "portal_ids":
            triggers[trigger][name] = text_of(child).strip()
        else:
            triggers[trigger][name] = text_of(child)  # a template: the author's spacing
    else:
        extra.append(raw_of(child))


def write_email_notification(spec: EmailNotificationSpec, rule_name: str) -> str:
    """``<emailNotification>`` XML text for ``spec``, owned by ``rule_name``.

    ``first-delay`` is written only when a delay is set and ``…-portal-ids`` only when
    not empty, as ATSD's exports do; every other modelled element is always written.
    Raises ``EmailNotificationError`` for text XML cannot hold (control characters).
    """
    root = etree.Element(ROOT)
    root.text = "\n"
    try:
        add(root, "disabled", flag(not spec.enabled))
        add(root, "rule-name", rule_name)
        add_delay(root, spec.open_delay)
        add_repeat_interval(root, spec.repeat_interval)
        add(root, "name", spec.name)
        add(root, "use-in-threshold-only", flag(spec.use_in_threshold_only))
        for kind in ("details", "screenshot"):
            for trigger in TRIGGERS:
                value = getattr(spec.trigger(trigger), kind)
                add(root, f"{XML_PREFIX[trigger]}-{kind}", flag(value))
        for trigger in TRIGGERS:
            if spec.trigger(trigger).portal_ids:
                add(root, f"{XML_PREFIX[trigger]}-portal-ids", spec.trigger(trigger).portal_ids)
        add(root, "repeat-as-open", flag(spec.repeat_as_open))
        add(root, "cancel-as-open", flag(spec.cancel_as_open))
        add(root, "recipients", spec.recipients)
        for trigger in TRIGGERS:
            add(root, SUBJECT_TAG[trigger], spec.trigger(trigger).subject)
        add(root, "merge", flag(spec.merge))
        add(root, "priority", str(spec.priority))
        for trigger in TRIGGERS:
            add(root, BODY_TAG[trigger], spec.trigger(trigger).body)
        for raw in spec.extra_elements:
            child = element_of(raw, EmailNotificationError)
            child.tail = "\n"
            root.append(child)
    except ValueError as exc:
        if isinstance(exc, EmailNotificationError):
            raise
        # lxml refuses control characters: "All strings must be XML compatible".
        raise EmailNotificationError(ROOT, str(exc)) from None
    return etree.tostring(root, encoding="unicode")


def write_email_notifications(specs: Iterable[EmailNotificationSpec], rule_name: str) -> list[str]:
    """``write_email_notification`` of each spec, in order: a rule's ``email_notifications_xml``."""
    return [write_email_notification(spec, rule_name) for spec in specs]
