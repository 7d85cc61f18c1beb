"""Masking secret ``<webNotification>`` parameters on export.

The rules app does not know endpoint kinds; the notifications app declares the
secret keys of every kind it knows when it starts
(``rules.contract.bindings.declare_secret_parameters``). An export leaves the
``<value>`` of such a parameter empty unless secrets are explicitly asked for
(``design.md`` invariant 6), as the endpoint export does.
"""

from __future__ import annotations

from lxml import etree

from rules.contract.bindings import secret_parameters

PARAMETER_SUFFIX = "WebConfigParameters"


def mask_secret_parameters(notification: etree._Element) -> int:
    """Empty the ``<value>`` of every secret parameter of a ``<webNotification>``; the count."""
    secret = secret_parameters()
    masked = 0
    for block in notification:
        if not isinstance(block.tag, str) or not block.tag.endswith(PARAMETER_SUFFIX):
            continue
        key = (block.findtext("key") or "").strip()
        value = block.find("value")
        if key in secret and value is not None and value.text:
            value.text = None
            masked += 1
    return masked
