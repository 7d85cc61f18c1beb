"""Read an ingest request body as a stream of bounded chunks, inflating gzip on the way.

The body is read from the request stream in chunks, never as one string, and a gzip
body (``Content-Encoding: gzip``) is inflated chunk by chunk with a bounded output per
step, so neither a large body nor a gzip bomb is ever held whole. Both the bytes sent
and the bytes they inflate to are capped at the body limit (``UPLOAD_MAX_BYTES``):
beyond it the request fails with :class:`BodyTooLarge` (413). Every member of a
multi-member gzip body is read, as ``gzip -d`` does.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Any, Protocol

CHUNK_BYTES = 64 * 1024
_GZIP_ENCODINGS = {"gzip", "x-gzip"}


class BodyError(ValueError):
    """The body cannot be read as sent (400)."""


class BodyTooLarge(BodyError):
    """The body, as sent or inflated, is over the limit (413)."""


class _Readable(Protocol):
    META: dict[str, Any]

    def read(self, size: int) -> bytes: ...


def _raw_chunks(request: _Readable, limit: int) -> Iterator[bytes]:
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(f"body is {int(declared)} bytes, the limit is {limit}")
    total = 0
    while True:
        chunk = request.read(CHUNK_BYTES)
        if not chunk:
            return
        total += len(chunk)
        if total > limit:
            raise BodyTooLarge(f"body is larger than the limit of {limit} bytes")
        yield chunk


def _inflate(chunks: Iterator[bytes], limit: int) -> Iterator[bytes]:
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    in_member = False
    total = 0
    for chunk in chunks:
        data = chunk
        while data or in_member:
            in_member = True
            try:
                out = inflater.decompress(data, CHUNK_BYTES)
            except zlib.error as exc:
                raise BodyError(f"gzip body cannot be decoded: {exc}") from exc
            total += len(out)
            if total > limit:
                raise BodyTooLarge(f"gzip body inflates to more than the limit of {limit} bytes")
            if out:
                yield out
            if inflater.eof:
                # The next member, if any, starts in what this one left over.
                data = inflater.unused_data
                inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
                in_member = False
                if not data.strip(b"\0"):  # zero padding after the last member
                    data = b""
                continue
            data = inflater.unconsumed_tail
            if not data and len(out) < CHUNK_BYTES:
                break  # this chunk is used up; a full output may have more pending
    if in_member:
        raise BodyError("gzip body cannot be decoded: it ends inside a member")


def body_chunks(request: _Readable, limit: int) -> Iterator[bytes]:
    """The request body, inflated when it is gzip, in chunks of at most 64 KiB.

    Raises :class:`BodyTooLarge` when more than ``limit`` bytes are sent or inflated,
    :class:`BodyError` for a body that is not valid gzip or an unknown encoding.
    """
    encoding = request.META.get("HTTP_CONTENT_ENCODING", "").strip().lower()
    raw = _raw_chunks(request, limit)
    if encoding in _GZIP_ENCODINGS:
        return _inflate(raw, limit)
    if encoding in {"", "identity"}:
        return raw
    raise BodyError(f"Content-Encoding {encoding!r} is not supported (gzip or none)")


def read_body(request: _Readable, limit: int) -> bytes:
    """The whole body (for JSON), read and inflated as :func:`body_chunks` does."""
    return b"".join(body_chunks(request, limit))
