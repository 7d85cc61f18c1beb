"""``<flapDamping>``: the rule's flap damping in rules.xml (ours; ATSD has no such element).

::

    <flapDamping>
    <enabled>true</enabled>
    <changes>5</changes>
    <intervalCount>10</intervalCount>
    <intervalUnit>MINUTE</intervalUnit>
    </flapDamping>

More than ``changes`` OPEN→CANCEL within the interval make a window flapping
(rules.engine.flapping). The element is written only when damping is on or its values
differ from the defaults, so a rule that does not use it exports as ATSD writes it;
ATSD and other readers that do not know it skip it as an unknown element. Absent
children keep their defaults.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from rules.rulesxml import fields as f

DEFAULTS: dict[str, Any] = {
    "flap_damping": False,
    "flap_changes": 5,
    "flap_period_count": 10,
    "flap_period_unit": "MINUTE",
}
_CHILDREN = ("enabled", "changes", "intervalCount", "intervalUnit")


def read_flap_damping(element: etree._Element) -> dict[str, Any]:
    """The model values of ``<flapDamping>``; ``ValueError`` names the bad child."""
    values = dict(DEFAULTS, flap_damping=True)
    seen: set[str] = set()
    for child in element:
        if not isinstance(child.tag, str):
            continue
        tag = child.tag
        if tag not in _CHILDREN:
            raise ValueError(f"unexpected child <{tag}>; expected {', '.join(_CHILDREN)}")
        if tag in seen:
            raise ValueError(f"<{tag}> appears more than once")
        seen.add(tag)
        text = (child.text or "").strip()
        if not text:
            continue
        if tag == "enabled":
            values["flap_damping"] = f.parse_bool(text)
        elif tag == "changes":
            values["flap_changes"] = f.parse_int(text, minimum=1)
        elif tag == "intervalCount":
            values["flap_period_count"] = f.parse_int(text, minimum=1)
        else:
            values["flap_period_unit"] = f.parse_unit(text)
    return values


def flap_damping_element(values: dict[str, Any]) -> etree._Element | None:
    """``<flapDamping>`` for the model values, or None when they are the defaults."""
    if all(values[name] == default for name, default in DEFAULTS.items()):
        return None
    block = etree.Element("flapDamping")
    block.text = "\n"
    for tag, text in (
        ("enabled", "true" if values["flap_damping"] else "false"),
        ("changes", str(values["flap_changes"])),
        ("intervalCount", str(values["flap_period_count"])),
        ("intervalUnit", str(values["flap_period_unit"])),
    ):
        child = etree.SubElement(block, tag)
        child.text = text
        child.tail = "\n"
    return block
