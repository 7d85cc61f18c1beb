"""Typed readers for settings that come from environment variables."""

import base64
import os
import secrets
from collections.abc import Callable
from pathlib import Path


def env_str(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"environment variable {name}={raw!r} is not an integer") from exc


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"environment variable {name}={raw!r} is not a boolean")


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_header_pair(name: str) -> tuple[str, str] | None:
    """``Header-Name: value`` as Django's (``HTTP_HEADER_NAME``, ``value``), or None when unset.

    For ``SECURE_PROXY_SSL_HEADER``: ``X-Forwarded-Proto: https`` is what the TLS
    proxy sets on requests that arrived over HTTPS.
    """
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    header, sep, value = raw.partition(":")
    if not sep or not header.strip() or not value.strip():
        raise ValueError(f"environment variable {name}={raw!r} is not 'Header-Name: value'")
    meta = "HTTP_" + header.strip().upper().replace("-", "_")
    return meta, value.strip()


def persistent_secret(
    data_dir: Path,
    filename: str = "secret_key",
    make: Callable[[], str] = lambda: secrets.token_urlsafe(50),
) -> str:
    """Return a secret generated once into ``data_dir`` so restarts keep using it."""
    path = data_dir / filename
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    value = make()
    # O_EXCL: when two processes start together, the first writer wins and both read it back.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


def fernet_key() -> str:
    """A new Fernet key: 32 random bytes, url-safe base64 (what ``Fernet.generate_key`` makes)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def persistent_fernet_key(data_dir: Path) -> str:
    """The embedded secrets key: generated once into ``data_dir/secrets_key``."""
    return persistent_secret(data_dir, "secrets_key", fernet_key)
