"""``Rule`` / ``RuleSpec`` → rules.xml (spec §2.1, §2.2).

Children are written in the §2.2 table order, one per line as ATSD does,
expression-like texts as CDATA, raw blocks (notifications, ``dateFilter``,
override rows, unknown elements) re-emitted as they were imported, and an
empty override table as ``<ruleTable/>``. Unknown elements go last, in their
original order. Reading the output back gives the same model values, except that
secret ``<webNotification>`` parameters (tokens) are written empty unless
``include_secrets`` is asked for (``rules.rulesxml.secrets``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lxml import etree

from atsd_alerts.safe_xml import make_parser
from rules.models.rule import Rule
from rules.rulesxml.flap_damping import DEFAULTS as FLAP_DEFAULTS
from rules.rulesxml.flap_damping import flap_damping_element
from rules.rulesxml.schema import ELEMENTS, Element, Kind
from rules.rulesxml.secrets import mask_secret_parameters
from rules.rulesxml.spec import RuleSpec

XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>'


def export_rules(rules: Iterable[Rule], *, include_secrets: bool = False) -> bytes:
    """rules.xml bytes holding the given rules, in the order given.

    Pass one rule (``[rule]``), a queryset, or ``Rule.objects.all()``. Secret
    web-notification parameters are written empty unless ``include_secrets``.
    """
    specs = (RuleSpec.from_model(rule) for rule in rules)
    return write_rules(specs, include_secrets=include_secrets)


def write_rules(specs: Iterable[RuleSpec], *, include_secrets: bool = False) -> bytes:
    """rules.xml bytes (UTF-8, with XML declaration) for the given specs."""
    root = etree.Element("rules")
    root.text = "\n"
    for spec in specs:
        rule = _rule_element(spec)
        if not include_secrets:
            for notification in rule.iterchildren("webNotification"):
                mask_secret_parameters(notification)
        rule.tail = "\n"
        root.append(rule)
    return XML_DECLARATION + etree.tostring(root, encoding="UTF-8") + b"\n"


def _rule_element(spec: RuleSpec) -> etree._Element:
    rule = etree.Element("rule")
    rule.text = "\n"
    for element in ELEMENTS:
        for child in _children_for(element, spec):
            child.tail = "\n"
            rule.append(child)
    for raw in spec.raw_extra:
        child = _parse_raw(raw)
        child.tail = "\n"
        rule.append(child)
    return rule


def _children_for(element: Element, spec: RuleSpec) -> list[etree._Element]:
    value: Any = getattr(spec, element.field)
    kind = element.kind
    if kind is Kind.RAW_LIST:
        return [_parse_raw(raw) for raw in value]
    if kind is Kind.RAW:
        return [_parse_raw(value)] if value else []
    if kind is Kind.RULE_TABLE:
        return [_parse_raw(value) if value else etree.Element("ruleTable")]
    if kind is Kind.FLAP_DAMPING:
        block = flap_damping_element({name: getattr(spec, name) for name in FLAP_DEFAULTS})
        return [block] if block is not None else []
    if kind is Kind.TIME_FILTER:
        return [
            _block(
                "timeFilter",
                [
                    ("intervalCount", str(spec.time_filter_count)),
                    ("intervalUnit", spec.time_filter_unit),
                ],
            )
        ]
    if kind is Kind.STRATEGY:
        return [
            _block(
                element.xml,
                [
                    ("type", str(value["type"])),
                    ("intervalCount", str(value["count"])),
                    ("intervalUnit", str(value["unit"])),
                ],
            )
        ]
    if kind is Kind.USER_EXPRESSIONS:
        if not value:
            return []
        block = etree.Element("userExpressions")
        block.text = "\n"
        for variable in value:
            child = _leaf(
                "expression", f"{variable['expression']} AS {variable['name']}", cdata=True
            )
            child.tail = "\n"
            block.append(child)
        return [block]
    if kind in (Kind.BOOL, Kind.TRISTATE):
        return [] if value is None else [_leaf(element.xml, "true" if value else "false")]
    if kind is Kind.INT_OPT:
        return [] if value is None else [_leaf(element.xml, str(value))]
    if kind is Kind.ENTITY_FILTER:
        return [_leaf(element.xml, pattern) for pattern in value.split()]
    if kind is Kind.TAGS:
        return [_leaf(element.xml, ", ".join(value))] if value else []
    text = str(value)
    if not text and not (element.always or element.required or element.xml in spec.empty_elements):
        return []
    return [_leaf(element.xml, text, cdata=element.cdata)]


def _leaf(tag: str, text: str, *, cdata: bool = False) -> etree._Element:
    leaf = etree.Element(tag)
    if text:
        # A CDATA section cannot contain "]]>"; such text is written escaped instead.
        leaf.text = etree.CDATA(text) if cdata and "]]>" not in text else text
    return leaf


def _block(tag: str, children: list[tuple[str, str]]) -> etree._Element:
    block = etree.Element(tag)
    block.text = "\n"
    for name, text in children:
        child = _leaf(name, text)
        child.tail = "\n"
        block.append(child)
    return block


def _parse_raw(raw: str) -> etree._Element:
    # Raw blocks were serialized by the reader from a parsed document, so they are
    # well-formed; the hardened parser is used anyway because they sit in the database.
    return etree.fromstring(raw.encode("utf-8"), make_parser())
