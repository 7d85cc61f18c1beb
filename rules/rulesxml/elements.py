"""Reading and writing the children of a rule's notification elements.

``<webNotification>`` and ``<emailNotification>`` share their scalar children
(booleans, interval blocks, texts with CR LF line ends) and are written in the same
layout: one child per line. These helpers raise ``ValueError`` with the reason; the
caller names the element.
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from atsd_alerts.safe_xml import make_parser
from rules.contract.bindings import (
    DEFAULT_DELAY_UNIT,
    STRATEGY_TYPES,
    BindingElementError,
    Delay,
    RepeatInterval,
)
from rules.rulesxml.fields import normalize_newlines, parse_bool, parse_strategy_type, parse_unit


def parse_element(data: str | bytes) -> etree._Element:
    """One stored element. Raw elements live in the database, written by our own
    reader; the hardened parser is used all the same (no entities, no network).
    Raises ``etree.XMLSyntaxError``."""
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    return etree.fromstring(raw, make_parser())


def element_of(
    raw: str | bytes | etree._Element, error: type[BindingElementError], root: str = ""
) -> etree._Element:
    """``raw`` (XML text, bytes or a parsed element) as an element, which must be a
    ``<root>`` when ``root`` is given; ``error`` names what is wrong."""
    if isinstance(raw, etree._Element):
        element = raw
    else:
        try:
            element = parse_element(raw)
        except etree.XMLSyntaxError as exc:
            raise error(root or "element", f"not well-formed XML: {exc}") from None
    if root and element.tag != root:
        raise error(str(element.tag), f"expected <{root}>")
    return element


def read_children(
    element: etree._Element,
    single: set[str],
    read: Callable[[str, etree._Element], None],
    error: type[BindingElementError],
) -> None:
    """``read(tag, child)`` for each child element in order; a tag of ``single`` may
    appear once. A ``ValueError`` of ``read`` becomes ``error`` naming the child."""
    seen: set[str] = set()
    for child in element:
        if not isinstance(child.tag, str):
            continue  # comments and processing instructions carry nothing
        tag = child.tag
        if tag in single:
            if tag in seen:
                raise error(tag, "appears more than once")
            seen.add(tag)
        try:
            read(tag, child)
        except BindingElementError:
            raise
        except ValueError as exc:
            raise error(tag, str(exc)) from None


def text_of(element: etree._Element) -> str:
    """The element's text with line ends normalised."""
    return normalize_newlines(element.text or "")


def bool_of(element: etree._Element, *, default: bool) -> bool:
    text = text_of(element).strip()
    return parse_bool(text) if text else default


def count_of(text: str, default: int) -> int:
    """A non-negative ``intervalCount``; ``default`` when empty."""
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


def unit_of(text: str, default: str) -> str:
    return parse_unit(text) if text.strip() else default


def block_of(element: etree._Element, allowed: set[str]) -> dict[str, str]:
    """The texts of a block's children (``<repeat-interval>``), each at most once."""
    parts: dict[str, str] = {}
    for child in element:
        if not isinstance(child.tag, str):
            continue
        if child.tag not in allowed:
            expected = ", ".join(sorted(allowed))
            raise ValueError(f"unexpected child <{child.tag}>; expected {expected}")
        if child.tag in parts:
            raise ValueError(f"<{child.tag}> appears more than once")
        parts[child.tag] = text_of(child).strip()
    return parts


def delay_of(element: etree._Element) -> Delay:
    """``<first-delay>``: count and unit, absent parts defaulted."""
    parts = block_of(element, {"intervalCount", "intervalUnit"})
    return Delay(
        count_of(parts.get("intervalCount", ""), 0),
        unit_of(parts.get("intervalUnit", ""), DEFAULT_DELAY_UNIT),
    )


def repeat_interval_of(element: etree._Element) -> RepeatInterval:
    """``<repeat-interval>``: type, count and unit, absent parts defaulted."""
    parts = block_of(element, {"type", "intervalCount", "intervalUnit"})
    default = RepeatInterval()
    return RepeatInterval(
        parse_strategy_type(parts["type"]) if parts.get("type") else default.type,
        count_of(parts.get("intervalCount", ""), default.count),
        unit_of(parts.get("intervalUnit", ""), default.unit),
    )


def raw_of(element: etree._Element) -> str:
    """A child nothing models, as XML text with line ends normalised."""
    for node in element.iter():
        if node.text:
            node.text = normalize_newlines(node.text)
        if node is not element and node.tail:
            node.tail = normalize_newlines(node.tail)
    return etree.tostring(element, encoding="unicode", with_tail=False)


def flag(value: bool) -> str:
    return "true" if value else "false"


def add(parent: etree._Element, tag: str, text: str) -> None:
    """Append ``<tag>text</tag>`` on a line of its own."""
    child = etree.SubElement(parent, tag)
    if text:
        child.text = text
    child.tail = "\n"


def add_block(parent: etree._Element, tag: str, children: list[tuple[str, str]]) -> None:
    """Append a block of ``(tag, text)`` children, one per line."""
    block = etree.SubElement(parent, tag)
    block.text = "\n"
    block.tail = "\n"
    for name, text in children:
        add(block, name, text)


def add_delay(parent: etree._Element, delay: Delay) -> None:
    """``<first-delay>``, written only when a delay is set (as ATSD's exports do)."""
    if delay.count or delay.unit != DEFAULT_DELAY_UNIT:
        add_block(
            parent,
            "first-delay",
            [("intervalCount", str(delay.count)), ("intervalUnit", delay.unit)],
        )


def add_repeat_interval(parent: etree._Element, strategy: RepeatInterval) -> None:
    """``<repeat-interval>``; ``ValueError`` for a type rules.xml does not have."""
    if strategy.type not in STRATEGY_TYPES:
        raise ValueError(f"unknown repeat-interval type {strategy.type!r}")
    children = [
        ("type", strategy.type),
        ("intervalCount", str(strategy.count)),
        ("intervalUnit", strategy.unit),
    ]
    add_block(parent, "repeat-interval", children)
