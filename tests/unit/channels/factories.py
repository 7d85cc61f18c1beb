"""What the tests of every channel kind build: endpoints of a kind and a tiny PNG."""

from __future__ import annotations

import struct
import zlib
from typing import Any

from notifications.models import Endpoint


def make_endpoint(
    kind: str,
    defaults: list[tuple[str, str, bool]],
    name: str,
    *,
    save: bool = True,
    **overrides: Any,
) -> Endpoint:
    """An endpoint of ``kind`` with ``defaults`` (key, value, editable) in form order;
    ``params`` overrides values by key, other keywords set model fields."""
    params = dict(overrides.pop("params", {}))
    endpoint = Endpoint(name=name, kind=kind, **overrides)
    endpoint.set_parameters((k, params.pop(k, v), e) for k, v, e in defaults)
    assert not params, f"unknown {kind} parameters {params}"
    if save:
        endpoint.full_clean()
        endpoint.save()
    return endpoint


def tiny_png() -> bytes:
    """A valid 1x1 greyscale PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )
