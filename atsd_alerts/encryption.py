"""Secrets at rest: model fields whose column holds Fernet ciphertext, never the value.

Keys come from ``settings.SECRETS_KEYS`` (environment ``SECRETS_KEY``, a comma list
of Fernet keys; embedded default: one key generated into ``DATA_DIR/secrets_key``).
The first key encrypts; every key decrypts (``MultiFernet``), which is what makes
rotation possible: put a new key first, run ``manage.py rotate_secrets_key`` to
re-encrypt every stored value with it, then drop the old key.

A column value that is not a Fernet token is read as plain text: rows written before
encryption was introduced stay readable until the data migration (or the next save)
encrypts them. A token no configured key opens is an error that names the setting,
never a silent empty value.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

# Every Fernet token starts with version byte 0x80 and a 64-bit timestamp whose first
# bytes are zero for centuries: base64 of that is "gAAAAA".
TOKEN_PREFIX = "gAAAAA"  # noqa: S105 - a format marker, not a secret


@functools.lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("SECRETS_KEY holds no key")
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "SECRETS_KEY must be a comma list of Fernet keys "
            "(32 url-safe base64-encoded bytes each)"
        ) from exc


def fernet() -> MultiFernet:
    """The ``MultiFernet`` of the configured keys (first encrypts, all decrypt)."""
    return _fernet(tuple(settings.SECRETS_KEYS))


def encrypt(text: str) -> str:
    return fernet().encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise ImproperlyConfigured(
            "a stored secret cannot be decrypted with any key in SECRETS_KEY "
            "(was the key that encrypted it removed?)"
        ) from None


def is_encrypted(value: str) -> bool:
    return value.startswith(TOKEN_PREFIX)


class EncryptedTextField(models.TextField[str, str]):
    """Text stored as Fernet ciphertext; an empty string is stored empty."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or not is_encrypted(value):
            return value
        return decrypt(value)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and is_encrypted(value):
            return decrypt(value)
        return super().to_python(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(str(value))

    def value_to_string(self, obj: models.Model) -> str:
        return _serialized(self, obj)


class EncryptedJSONField(models.TextField[Any, Any]):
    """A JSON value (list, dict, ...) stored as the Fernet ciphertext of its JSON text."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return value
        return json.loads(decrypt(value) if is_encrypted(value) else value)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            return json.loads(decrypt(value) if is_encrypted(value) else value)
        return value

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return value
        return encrypt(json.dumps(value, ensure_ascii=False))

    def value_to_string(self, obj: models.Model) -> str:
        return _serialized(self, obj)


def _serialized(field: models.Field[Any, Any], obj: models.Model) -> str:
    """What ``dumpdata`` writes: the ciphertext, as the database holds it (``loaddata``
    decrypts it through ``to_python`` on a server with the same keys)."""
    return str(field.get_prep_value(field.value_from_object(obj)) or "")
