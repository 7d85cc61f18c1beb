"""Signed, short-lived portal URLs: how the web driver gets past the login.

The browser has no session. Instead the URL carries ``sig``: a
``TimestampSigner`` signature over the portal's name and its exact query
parameters, valid for ``PORTAL_SIGNATURE_MAX_AGE`` seconds. A signature opens
that one page with those parameters and nothing else; a changed parameter, an
other portal or an old signature is refused (403). Authentication stays on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing

SALT = "notifications.portals"
SIG = "sig"


def _digest(portal: str, params: Mapping[str, str]) -> str:
    canonical = urlencode(sorted((k, str(v)) for k, v in params.items() if k != SIG))
    return hashlib.sha256(f"{portal}?{canonical}".encode()).hexdigest()


def sign(portal: str, params: Mapping[str, str]) -> str:
    """The ``sig`` value for ``portal`` with exactly ``params``."""
    return signing.TimestampSigner(salt=SALT).sign(_digest(portal, params)).split(":", 1)[1]


def verify(portal: str, params: Mapping[str, str], sig: str, max_age: int | None = None) -> str:
    """``''`` when ``sig`` is valid for ``portal`` + ``params``, else why not."""
    max_age = settings.PORTAL_SIGNATURE_MAX_AGE if max_age is None else max_age
    value = f"{_digest(portal, params)}:{sig}"
    try:
        signing.TimestampSigner(salt=SALT).unsign(value, max_age=max_age)
    except signing.SignatureExpired:
        return "signature expired"
    except signing.BadSignature:
        return "bad signature"
    return ""


def signed_query(portal: str, params: Mapping[str, str]) -> str:
    """``params`` as a query string with their ``sig`` appended."""
    items = sorted((k, str(v)) for k, v in params.items())
    return urlencode([*items, (SIG, sign(portal, params))])
