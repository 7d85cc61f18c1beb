"""Line splitting: whole bodies (split_lines) and byte streams (LineSplitter)."""

from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.ingest.lines import MAX_LINE_BYTES, Line, LineSplitter, split_lines


def numbered(body: bytes | str) -> list[tuple[int, str]]:
    return [(line.number, line.text) for line in split_lines(body)]


def test_it_splits_on_lf_and_drops_a_trailing_cr():
    assert numbered("series e:a m:x=1\r\nseries e:b m:x=2\n") == [
        (1, "series e:a m:x=1"),
        (2, "series e:b m:x=2"),
    ]


def test_it_skips_blank_lines_but_keeps_physical_line_numbers():
    body = "\nseries e:a m:x=1\n\n   \r\nseries e:b m:x=2"
    assert numbered(body) == [(2, "series e:a m:x=1"), (5, "series e:b m:x=2")]


def test_a_quoted_value_spans_lines_and_numbers_the_first():
    body = 'message e:a m:"first\r\nsecond\nthird"\nseries e:b m:x=1\n'
    assert numbered(body) == [
        (1, 'message e:a m:"first\r\nsecond\nthird"'),
        (4, "series e:b m:x=1"),
    ]


def test_doubled_quotes_do_not_close_a_quoted_value():
    body = 'message e:a m:"say ""hi""\nstill quoted"\nseries e:b m:x=1'
    assert [number for number, _ in numbered(body)] == [1, 3]


def test_an_unterminated_quote_ends_at_the_next_line_that_starts_a_command():
    body = 'series e:a m:x=1\nmessage e:a m:"open\nno command\nseries e:b m:x=2\n'
    assert numbered(body) == [
        (1, "series e:a m:x=1"),
        (2, 'message e:a m:"open\nno command'),
        (4, "series e:b m:x=2"),
    ]


@pytest.mark.parametrize("word", ["series", "message", "property", "debug"])
def test_every_command_word_ends_an_open_quote(word):
    body = f'message e:a m:"open\n{word} e:b\n'
    assert numbered(body) == [(1, 'message e:a m:"open'), (2, f"{word} e:b")]


def test_a_quoted_line_that_only_resembles_a_command_word_stays_quoted():
    body = 'message e:a m:"open\nseriesless\nserie"\n'
    assert numbered(body) == [(1, 'message e:a m:"open\nseriesless\nserie"')]


def test_an_unterminated_quote_at_the_end_runs_to_the_end_of_the_body():
    assert numbered('series e:a m:x=1\nmessage e:a m:"open\nser') == [
        (1, "series e:a m:x=1"),
        (2, 'message e:a m:"open\nser'),
    ]


def test_an_empty_body_has_no_lines():
    assert numbered("") == []
    assert numbered("\n\r\n") == []


# --- LineSplitter -------------------------------------------------------------


def test_the_splitter_keeps_a_partial_tail_between_chunks():
    splitter = LineSplitter()
    assert splitter.feed(b"series e:a m:x") == []
    assert splitter.feed(b"=1\r\nseries e:b") == [Line(1, "series e:a m:x=1")]
    assert splitter.feed(b" m:x=2\n") == [Line(2, "series e:b m:x=2")]
    assert splitter.finish() == []


def test_the_splitter_returns_the_unterminated_last_line_on_finish():
    splitter = LineSplitter()
    assert splitter.feed("series e:a m:x=1\nseries e:b m:x=2") == [Line(1, "series e:a m:x=1")]
    assert splitter.finish() == [Line(2, "series e:b m:x=2")]


def test_the_splitter_honours_quotes_across_chunks():
    splitter = LineSplitter()
    assert splitter.feed(b'message e:a m:"one\n') == []
    assert splitter.feed(b'two""\n') == []
    assert splitter.feed(b'three"\n\nseries e:b m:x=1\n') == [
        Line(1, 'message e:a m:"one\ntwo""\nthree"'),
        Line(5, "series e:b m:x=1"),
    ]


def test_the_splitter_reassembles_utf8_split_inside_a_character():
    data = "series e:zürich m:x=1\n".encode()
    splitter = LineSplitter()
    cut = data.index(b"\xc3") + 1
    assert splitter.feed(data[:cut]) == []
    assert splitter.feed(data[cut:]) == [Line(1, "series e:zürich m:x=1")]


def test_the_splitter_reports_invalid_utf8_as_a_failed_line():
    splitter = LineSplitter()
    lines = splitter.feed(b"series e:\xff m:x=1\nseries e:b m:x=2\n")
    assert lines[0].number == 1
    assert lines[0].error == "line is not valid UTF-8 at byte 9"
    assert lines[1] == Line(2, "series e:b m:x=2")


def test_an_over_long_line_fails_with_its_number_and_the_next_line_survives():
    splitter = LineSplitter(max_line_bytes=131072)
    lines = splitter.feed(b"series e:a m:x=1\n")
    lines += splitter.feed(b"series e:a x:t=" + b"y" * 100_000)
    lines += splitter.feed(b"y" * 104_785 + b"\nseries e:b m:x=2\n")
    assert lines == [
        Line(1, "series e:a m:x=1"),
        Line(2, "", "line is 204800 bytes, the limit is 131072"),
        Line(3, "series e:b m:x=2"),
    ]


def test_an_over_long_line_is_not_buffered():
    splitter = LineSplitter(max_line_bytes=1000)
    for _ in range(100):
        assert splitter.feed(b"z" * 10_000) == []
        assert len(splitter._buffer) == 0
    assert splitter.feed(b"\n") == [Line(1, "", "line is 1000000 bytes, the limit is 1000")]


def test_skipping_an_over_long_line_honours_quotes():
    splitter = LineSplitter(max_line_bytes=20)
    lines = splitter.feed(b'message e:a m:"a long\nquoted text"\nseries e:b m:x=2\n')
    assert lines == [
        Line(1, "", "line is 34 bytes, the limit is 20"),
        Line(3, "series e:b m:x=2"),
    ]


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64])
def test_the_splitter_splits_a_body_alike_in_chunks_of_any_size(chunk):
    body = (
        'series e:a m:x=1\r\n\nmessage e:a m:"x\n""y"""\n  \nproperty e:a t:c v:k=v\n'
        'series e:b t:n="stray\nseries e:c m:x=1\nmessage e:d m:"two\nlines"\nseries e:z'
    )
    data = body.encode()
    splitter = LineSplitter()
    lines = []
    for start in range(0, len(data), chunk):
        lines += splitter.feed(data[start : start + chunk])
    lines += splitter.finish()
    assert lines == split_lines(body)
    assert [line.number for line in lines] == [1, 3, 6, 7, 8, 9, 11]


class ScanOnly(LineSplitter):
    """The byte-by-byte path alone: what the unquoted-chunk path must agree with."""

    def feed(self, data: bytes | str) -> list[Line]:
        return self._feed_scan(data if isinstance(data, bytes) else data.encode())


pieces = st.sampled_from(
    [b"series e:a m:x=1", b"\n", b"\r\n", b"  ", b'"', b'""', b"\xc3\xa9", b"\xff", b"z" * 9]
)


@settings(max_examples=300, deadline=None)
@given(
    body=st.lists(pieces, max_size=30).map(b"".join),
    cuts=st.lists(st.integers(0, 300), max_size=6),
    limit=st.sampled_from([8, 16, 40, MAX_LINE_BYTES]),
)
def test_unquoted_chunks_split_as_the_byte_scan_splits_them(body, cuts, limit):
    fast, scan = LineSplitter(max_line_bytes=limit), ScanOnly(max_line_bytes=limit)
    bounds = sorted({0, len(body), *(c for c in cuts if c < len(body))})
    chunks = [body[a:b] for a, b in pairwise(bounds)]
    got = [fast.feed(c) for c in chunks] + [fast.finish()]
    assert got == [scan.feed(c) for c in chunks] + [scan.finish()]


def test_a_chunk_of_plain_commands_keeps_line_numbers_across_chunks():
    splitter = LineSplitter()
    assert splitter.feed(b"series e:a m:x=1\n\nseries e:b m:x=2\r\nseries e:c") == [
        Line(1, "series e:a m:x=1"),
        Line(3, "series e:b m:x=2"),
    ]
    assert splitter.feed(b" m:x=3\n  \nseries e:d m:x=4\n") == [
        Line(4, "series e:c m:x=3"),
        Line(6, "series e:d m:x=4"),
    ]


quoted_pieces = st.sampled_from(
    [b"series e:a m:x=1", b"message e:b m:", b"\n", b"\r\n", b'"', b'""', b"seri", b"debug "]
)


@settings(max_examples=300, deadline=None)
@given(
    body=st.lists(quoted_pieces, max_size=30).map(b"".join),
    cuts=st.lists(st.integers(0, 300), max_size=8),
)
def test_where_a_stray_quote_ends_does_not_depend_on_chunking(body, cuts):
    bounds = sorted({0, len(body), *(c for c in cuts if c < len(body))})
    splitter = LineSplitter()
    lines = [line for a, b in pairwise(bounds) for line in splitter.feed(body[a:b])]
    assert lines + splitter.finish() == split_lines(body)
