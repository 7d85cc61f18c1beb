"""Web-notification endpoints (spec ``atsd-rule-engine.md`` §7.1).

An :class:`Endpoint` is a reusable outgoing configuration of one kind from
:mod:`notifications.channels.registry`. Its kind-specific settings live in
``parameters``; the keys a kind knows, which of them are secrets, and the transport
that sends for it come from the registry, so adding a kind never changes this model.

Secrets (tokens in ``parameters``, ``proxy_password``) are encrypted at rest: both
columns hold Fernet ciphertext (:mod:`atsd_alerts.encryption`, key ``SECRETS_KEY``).
They are write-only everywhere else (``design.md`` invariant 6): forms never render
them, exports leave them empty unless asked, ``__repr__``/``__str__`` and log lines
never include them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.module_loading import import_string

from atsd_alerts.encryption import EncryptedJSONField, EncryptedTextField
from notifications.channels import registry
from notifications.channels.base import Transport, TransportError
from notifications.channels.http import HttpSettings

HTTP_SCHEMES = ("http", "https")
# socks5h resolves names through the proxy; requests (with PySocks) understands both.
PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")
PEM_CERTIFICATE = "-----BEGIN CERTIFICATE-----"


def _validate_url(value: str, schemes: Iterable[str], what: str) -> None:
    schemes = tuple(schemes)
    try:
        parts = urlsplit(value.strip())
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise ValidationError(f"{what} is not a valid URL.", code="invalid") from None
    if parts.scheme.lower() not in schemes:
        allowed = ", ".join(f"{s}://" for s in schemes)
        raise ValidationError(
            f"{what} must start with {allowed} (got {value.strip()[:40]!r}).", code="scheme"
        )
    if not parts.hostname:
        raise ValidationError(f"{what} has no host name.", code="host")


def validate_endpoint_url(value: str) -> None:
    """An API root such as ``https://api.hipchat.com`` or ``http://10.0.0.5:8080/gw``."""
    if value:
        _validate_url(value, HTTP_SCHEMES, "Endpoint URL")


def validate_proxy_url(value: str) -> None:
    """A proxy URL with scheme ``http``, ``https``, ``socks5`` or ``socks5h``."""
    if value:
        _validate_url(value, PROXY_SCHEMES, "Proxy URL")


def validate_ca_bundle(value: str) -> None:
    """PEM text holding at least one certificate (not a path: see :attr:`Endpoint.ca_bundle`)."""
    if value.strip() and PEM_CERTIFICATE not in value:
        raise ValidationError(
            "CA bundle must be PEM text containing '-----BEGIN CERTIFICATE-----' "
            "(paste the certificates, not a file path).",
            code="pem",
        )


def validate_parameters(value: Any) -> None:
    """``parameters`` is a list of ``{"key": str, "value": str, "editable": bool}``, keys unique."""
    if not isinstance(value, list):
        raise ValidationError("parameters must be a list", code="shape")
    seen: set[str] = set()
    for item in value:
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("key"), str)
            or not isinstance(item.get("value"), str)
            or not isinstance(item.get("editable"), bool)
        ):
            raise ValidationError(
                "each parameter must be {key: str, value: str, editable: bool}", code="shape"
            )
        if item["key"] in seen:
            raise ValidationError(f"parameter {item['key']!r} appears twice", code="duplicate")
        seen.add(item["key"])


class Endpoint(models.Model):
    """One outgoing notification configuration ("Web Notification" in ATSD 2017-2018)."""

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField("type", max_length=16, choices=registry.choices(), default="HIPCHAT")
    enabled = models.BooleanField(default=True)
    description = models.TextField(blank=True)
    base_url = models.CharField(
        "endpoint URL",
        max_length=500,
        blank=True,
        validators=[validate_endpoint_url],
        help_text="API root; blank = the kind's public service (HipChat Cloud).",
    )
    proxy_url = models.CharField(
        "proxy URL", max_length=500, blank=True, validators=[validate_proxy_url]
    )
    proxy_username = models.CharField(max_length=200, blank=True)
    proxy_password = EncryptedTextField(blank=True)
    ignore_ssl_errors = models.BooleanField("ignore TLS errors", default=False)
    # PEM text rather than a path: web and notify workers may run on different hosts
    # (design.md), and only the database is shared between them.
    ca_bundle = models.TextField("CA bundle", blank=True, validators=[validate_ca_bundle])
    log_response = models.BooleanField(default=False)
    # Free text until portals exist (§7.1 "Test Portal"); the name of a portal.
    test_portal = models.CharField(max_length=200, blank=True)
    # A list, not an object: the order is the form order that the rule editor repeats.
    # Encrypted as a whole (tokens are among the values); nothing queries inside it.
    parameters = EncryptedJSONField(default=list, blank=True, validators=[validate_parameters])
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<Endpoint {self.name!r} {self.kind}>"

    # ------------------------------------------------------------ the kind

    @property
    def kind_info(self) -> registry.ChannelKind:
        """The registry entry of this endpoint's kind (KeyError for an unknown kind)."""
        return registry.get_kind(self.kind)

    def secret_keys(self) -> tuple[str, ...]:
        """Parameter keys that hold secrets for this kind (from the registry)."""
        try:
            return self.kind_info.secret_parameters
        except KeyError:
            return ()

    # ---------------------------------------------------------- parameters

    def parameter_values(self) -> dict[str, str]:
        """``{key: value}`` in parameter order (secrets included: for sending only)."""
        return {p["key"]: p["value"] for p in self.parameters or []}

    def parameter(self, key: str, default: str = "") -> str:
        """The value of parameter ``key``, or ``default`` when absent."""
        return self.parameter_values().get(key, default)

    def editable_keys(self) -> list[str]:
        """Keys a rule may override, in parameter order."""
        return [p["key"] for p in self.parameters or [] if p["editable"]]

    def set_parameters(self, items: Iterable[tuple[str, str, bool]]) -> None:
        """Replace ``parameters`` with ``(key, value, editable)`` triples, in order."""
        self.parameters = [
            {"key": key, "value": value, "editable": bool(editable)}
            for key, value, editable in items
        ]

    def secret_values(self) -> tuple[str, ...]:
        """Every non-empty secret of this endpoint, for redaction."""
        values = self.parameter_values()
        found = [values.get(key, "") for key in self.secret_keys()]
        return tuple(s for s in (*found, self.proxy_password) if s)

    def stored_secret(self, key: str) -> str:
        """A stored secret by key (a secret parameter or ``proxy_password``); KeyError otherwise."""
        if key == "proxy_password":
            return self.proxy_password
        if key not in self.secret_keys():
            raise KeyError(key)
        return self.parameter(key)

    # ------------------------------------------------------------- sending

    def transport_class(self) -> type[Transport]:
        """The transport class of this endpoint's kind.

        Raises a permanent :class:`TransportError` when the kind cannot send.
        """
        try:
            kind = self.kind_info
        except KeyError:
            raise TransportError(f"unknown endpoint type {self.kind}", permanent=True) from None
        if not kind.sendable or not kind.transport:
            raise TransportError(
                f"{kind.label} endpoints cannot send ({kind.status})", permanent=True
            )
        return cast(type[Transport], import_string(kind.transport))

    def transport(self, parameters: Mapping[str, str] | None = None) -> Transport:
        """A transport for this endpoint with ``parameters`` (rendered for one send;
        the endpoint's own values by default), its URL and its network settings.

        Raises a permanent :class:`TransportError` when the kind cannot send or the
        values are unusable (no room, no token).
        """
        values = self.parameter_values() if parameters is None else parameters
        return self.transport_class().configure(
            values, base_url=self.base_url.strip(), http=self.http_settings()
        )

    def http_settings(self) -> HttpSettings:
        """Network settings for :class:`notifications.channels.http.HttpClient`.

        With *Ignore TLS errors* set the CA bundle is not used (any certificate is
        accepted); otherwise a pasted bundle replaces the system store.
        """
        return HttpSettings(
            proxy_url=self.proxy_url.strip(),
            proxy_username=self.proxy_username,
            proxy_password=self.proxy_password,
            verify_tls=not self.ignore_ssl_errors,
            ca_bundle=ca_bundle_path(self.ca_bundle) if not self.ignore_ssl_errors else "",
        )

    def clean(self) -> None:
        validate_parameters(self.parameters)


def ca_bundle_path(pem: str) -> str:
    """A file holding ``pem`` (requests takes CA bundles as paths), or "" when empty.

    Files are named by the content's SHA-256 under ``DATA_DIR/ca-bundles`` so that
    every process writes the same file once and readers never see a partial one.
    """
    if not pem.strip():
        return ""
    data = pem.strip().encode() + b"\n"
    folder = Path(settings.DATA_DIR) / "ca-bundles"
    path = folder / f"{hashlib.sha256(data).hexdigest()}.pem"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{id(data)}.tmp")
        partial.write_bytes(data)
        partial.replace(path)
    return str(path)


def masked_parameters(endpoint: Endpoint) -> Mapping[str, str]:
    """``{key: value}`` with every secret value shown as ``********`` (or empty)."""
    secret = set(endpoint.secret_keys())
    return {
        key: ("********" if value else "") if key in secret else value
        for key, value in endpoint.parameter_values().items()
    }
