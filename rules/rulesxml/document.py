"""A rules.xml upload as a parsed document: its size limit and hardened parsing.

The parsing itself is ``atsd_alerts.safe_xml``'s; this module applies the import limit
(setting ``RULES_IMPORT_MAX_BYTES``) and reports a refused document as the import's
own document-level failure.
"""

from __future__ import annotations

from django.conf import settings
from lxml import etree

from atsd_alerts.safe_xml import XmlRefused, parse_document
from rules.rulesxml.errors import RulesImportError

DEFAULT_MAX_BYTES = 10 * 1024 * 1024


def max_bytes() -> int:
    """The import size limit: setting ``RULES_IMPORT_MAX_BYTES``, default 10 MB."""
    return int(getattr(settings, "RULES_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def parse_rules_document(data: bytes) -> etree._Element:
    """The root element of an uploaded rules.xml; ``RulesImportError`` when refused."""
    try:
        return parse_document(data, limit=max_bytes())
    except XmlRefused as exc:
        raise RulesImportError.document(exc.reason) from None
