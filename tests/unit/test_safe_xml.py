"""The one hardened XML parser both apps use for uploads."""

import pytest
from lxml import etree

from atsd_alerts.safe_xml import XmlRefused, make_parser, parse_document


def test_parser_has_entities_dtd_and_network_off():
    # lxml does not expose parser options, so check the behaviour they produce instead.
    xml = b'<!DOCTYPE r [<!ENTITY e "expanded">]><r>&e;</r>'
    root = etree.fromstring(xml, make_parser())
    assert "expanded" not in etree.tostring(root, encoding="unicode")


def test_parse_document_takes_bytes_only():
    with pytest.raises(TypeError):
        parse_document("<rules/>", limit=100)  # type: ignore[arg-type]


def test_a_document_over_the_given_limit_is_refused_with_both_sizes():
    with pytest.raises(XmlRefused) as refused:
        parse_document(b"<list>" + b" " * 100 + b"</list>", limit=100)
    assert refused.value.reason == (
        "the file is 113 bytes, larger than the import limit of 100 bytes"
    )


def test_entity_declarations_are_refused_before_parsing():
    with pytest.raises(XmlRefused, match="declares entities \\(e\\)"):
        parse_document(b'<!DOCTYPE r [<!ENTITY e "x">]><r>&e;</r>', limit=1000)
