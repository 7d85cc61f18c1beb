"""The one way this project parses XML that comes from users (design invariant 5).

Entity resolution, DTD loading and network access are off, libxml2's huge-tree
mode is off, and a size limit applies before parsing. Documents with a DOCTYPE
are refused outright: ATSD never writes one, and a DOCTYPE is exactly where
entity bombs ("billion laughs") and external entities (``file:///etc/passwd``)
live, so there is nothing legitimate to lose. Both apps parse uploads here
(rules.xml, endpoint exports) and say what a refusal means in their own terms.
"""

from __future__ import annotations

import codecs
import re
from typing import NoReturn

from lxml import etree


class XmlRefused(ValueError):
    """An XML document refused before or while parsing; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def make_parser() -> etree.XMLParser:
    """A fresh hardened parser (lxml parsers are not thread-safe: one per call).

    Comments and processing instructions are dropped so that raw elements kept
    for re-export carry only elements and text.
    """
    return etree.XMLParser(
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=False,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_document(data: bytes, *, limit: int) -> etree._Element:
    """Parse untrusted XML bytes and return the root element.

    Raises ``XmlRefused`` with a readable reason when ``data`` is larger than
    ``limit`` bytes, empty, not well-formed XML, or has a DOCTYPE (entity
    declarations, external entities or an external DTD are named in the reason).
    """
    if not isinstance(data, bytes | bytearray):
        raise TypeError("parse_document() takes bytes, as uploaded")
    if len(data) > limit:
        raise XmlRefused(
            f"the file is {len(data)} bytes, larger than the import limit of {limit} bytes"
        )
    if not data.strip():
        raise XmlRefused("the file is empty")
    # Refuse before parsing: libxml2 would otherwise stop an entity bomb with its own
    # "amplification factor" error, which tells the user nothing useful.
    _prescan_doctype(bytes(data))
    try:
        root = etree.fromstring(bytes(data), make_parser())
    except etree.XMLSyntaxError as exc:
        line, column = exc.position
        last = exc.error_log.last_error
        message = last.message.strip() if last is not None else str(exc)
        raise XmlRefused(f"not well-formed XML: {message} (line {line}, column {column})") from None
    # Defence in depth for what the byte scan cannot see (an exotic encoding).
    _refuse_doctype(root.getroottree().docinfo)
    return root


_ELEMENT_START_RE = re.compile(rb"<[A-Za-z_:]")
_ENTITY_RE = re.compile(
    rb"""<!ENTITY\s+(?:%\s*)?([^\s>]+)(?:\s+(?:SYSTEM|PUBLIC\s+(?:"[^"]*"|'[^']*'))\s*(?:"([^"]*)"|'([^']*)'))?"""
)
_DOCTYPE_RE = re.compile(
    rb"""<!DOCTYPE\s+[^\s>\[]+\s+(?:SYSTEM|PUBLIC\s+(?:"[^"]*"|'[^']*'))\s*(?:"([^"]*)"|'([^']*)')"""
)


def _prescan_doctype(data: bytes) -> None:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        data = data.decode("utf-16", errors="replace").encode("utf-8")
    # Only the prolog can hold a DOCTYPE; "<!DOCTYPE html>" inside a CDATA e-mail body is text.
    root_start = _ELEMENT_START_RE.search(data)
    data = data[: root_start.start()] if root_start else data
    if b"<!DOCTYPE" not in data and b"<!ENTITY" not in data:
        return
    entities = [
        (_text(m.group(1)), _text(m.group(2) or m.group(3) or b""))
        for m in _ENTITY_RE.finditer(data)
    ]
    external_dtd = _DOCTYPE_RE.search(data)
    dtd_url = _text(external_dtd.group(1) or external_dtd.group(2) or b"") if external_dtd else ""
    _refuse(entities, dtd_url)


def _refuse_doctype(docinfo: etree.DocInfo) -> None:
    dtd = docinfo.internalDTD
    if dtd is None and not docinfo.doctype and not docinfo.system_url:
        return
    entities = [(e.name, e.system_url or "") for e in dtd.iterentities()] if dtd is not None else []
    _refuse(entities, docinfo.system_url or docinfo.public_id or "")


def _refuse(entities: list[tuple[str, str]], dtd_url: str) -> NoReturn:
    """Raise the clearest refusal for a DOCTYPE with these (name, system URL) entities."""
    external = [f"{name} -> {url}" for name, url in entities if url]
    if external:
        raise XmlRefused(
            f"refused: the DOCTYPE declares external entities ({', '.join(external)}); "
            "external entities are never loaded"
        )
    if entities:
        names = ", ".join(name for name, _url in entities)
        raise XmlRefused(
            f"refused: the DOCTYPE declares entities ({names}); entity declarations are "
            "not allowed (entity expansion attacks such as 'billion laughs')"
        )
    if dtd_url:
        raise XmlRefused(
            f"refused: the DOCTYPE refers to an external DTD ({dtd_url}); "
            "external DTDs are never loaded"
        )
    raise XmlRefused("refused: a DOCTYPE is not allowed in rules.xml")


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")
