"""Reading ingest bodies: capped as sent and as inflated, every gzip member read."""

import gzip
import io
import zlib

import pytest

from rules.ingest.body import CHUNK_BYTES, BodyError, BodyTooLarge, body_chunks, read_body


class Upload:
    """A request body stream with the META an HTTP request carries."""

    def __init__(self, data: bytes, encoding: str = "gzip", declared: int | None = None) -> None:
        self.stream = io.BytesIO(data)
        length = str(declared or len(data))
        self.META = {"HTTP_CONTENT_ENCODING": encoding, "CONTENT_LENGTH": length}
        self.read_bytes = 0

    def read(self, size: int) -> bytes:
        data = self.stream.read(size)
        self.read_bytes += len(data)
        return data


def test_every_member_of_a_multi_member_gzip_body_is_read():
    body = gzip.compress(b"series e:a m:x=1\n") + gzip.compress(b"series e:b m:x=2\n")
    assert read_body(Upload(body), 1 << 20) == b"series e:a m:x=1\nseries e:b m:x=2\n"


def test_zero_padding_after_the_last_member_is_ignored():
    assert read_body(Upload(gzip.compress(b"abc") + b"\0" * 8), 1 << 20) == b"abc"


def test_a_gzip_bomb_is_refused_once_it_inflates_past_the_limit():
    bomb = gzip.compress(b"x\n" * (50 * 1024 * 1024))  # 100 MiB in about 100 KiB
    inflated = 0
    # The chunks read before the refusal are what this test measures, so they are read inside.
    with pytest.raises(BodyTooLarge, match="inflates to more than the limit of 1048576 bytes"):  # noqa: PT012
        for chunk in body_chunks(Upload(bomb), 1 << 20):
            assert len(chunk) <= CHUNK_BYTES
            inflated += len(chunk)
    assert inflated <= 1 << 20


def test_a_body_over_the_limit_as_sent_is_refused():
    with pytest.raises(BodyTooLarge, match="body is 2000 bytes, the limit is 1000"):
        read_body(Upload(b"x" * 2000, encoding=""), 1000)


def test_a_body_longer_than_declared_is_refused_while_it_is_read():
    upload = Upload(b"x" * 300_000, encoding="", declared=10)
    with pytest.raises(BodyTooLarge, match="larger than the limit of 100000 bytes"):
        read_body(upload, 100_000)
    assert upload.read_bytes <= 100_000 + CHUNK_BYTES


def test_a_truncated_or_broken_gzip_body_is_a_body_error():
    whole = gzip.compress(b"series e:a m:x=1\n" * 100)
    with pytest.raises(BodyError, match="ends inside a member"):
        read_body(Upload(whole[:-6]), 1 << 20)
    with pytest.raises(BodyError, match="cannot be decoded"):
        read_body(Upload(b"not gzip"), 1 << 20)


def test_output_held_back_by_a_full_chunk_is_not_lost():
    data = bytes(range(256)) * 4096 + b"tail"  # compresses well: one step fills a chunk
    body = zlib.compress(data, 9)
    gz = gzip.compress(data, 9)
    assert len(body) < CHUNK_BYTES
    assert read_body(Upload(gz), 1 << 22) == data


def test_an_unknown_content_encoding_is_a_body_error():
    with pytest.raises(BodyError, match="'br' is not supported"):
        read_body(Upload(b"abc", encoding="br"), 1000)
