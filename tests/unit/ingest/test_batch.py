"""Parsing a body of command lines (POST /api/v1/command) with the TCP splitter."""

import tracemalloc

from rules.ingest.batch import parse_body

RECEIVED = 1_700_000_000_000


def good(i: int) -> str:
    return f"series e:host m:cpu={i}"


def test_a_stray_quote_costs_its_own_line_only():
    lines = (
        [good(i) for i in range(10)]
        + ['series e:host m:cpu=1 t:note="open']
        + [good(i) for i in range(10, 20)]
    )
    result = parse_body("\n".join(lines) + "\n", RECEIVED)
    assert (result.success, result.fail) == (20, 1)
    assert [error.line for error in result.errors] == [11]
    assert "unterminated quote" in result.errors[0].reason
    assert [event.value for event in result.events] == [float(i) for i in range(20)]


def test_a_line_with_invalid_utf8_fails_alone():
    result = parse_body(b"series e:\xff m:cpu=1\nseries e:b m:cpu=2\n", RECEIVED)
    assert (result.success, result.fail) == (1, 1)
    assert result.errors[0].reason == "line is not valid UTF-8 at byte 9"


def test_chunks_give_the_same_result_as_the_whole_body():
    body = (
        b'series e:a m:x=1\nmessage e:a m:"two\nlines"\nseries e:b t:n="stray\nseries e:c m:x=2\n'
    )
    whole = parse_body(body, RECEIVED)
    chunked = parse_body([body[i : i + 3] for i in range(0, len(body), 3)], RECEIVED)
    assert whole.summary() == chunked.summary()
    assert (whole.success, whole.fail) == (3, 1)


def test_the_answer_lists_the_first_errors_and_counts_the_rest():
    result = parse_body("x\n" * 1500, RECEIVED, max_errors=1000)
    summary = result.summary()
    assert (summary["fail"], summary["success"], summary["total"]) == (1500, 0, 1500)
    assert len(summary["errors"]) == 1000
    assert summary["errors_not_listed"] == 500
    assert summary["errors"][-1]["line"] == 1000


def test_two_megabytes_of_bad_lines_cost_bounded_memory_and_time():
    body = b"x\n" * (1024 * 1024)
    tracemalloc.start()
    try:
        result = parse_body([body[i : i + 65536] for i in range(0, len(body), 65536)], RECEIVED)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (result.fail, result.stopped_at) == (10_000, 10_000)
    assert len(result.errors) == 1000
    assert peak < 8 * 1024 * 1024, peak


def test_reading_stops_at_the_failed_line_cap_and_names_the_line():
    body = [good(1), "x", good(2), "x", "x", good(3), "x", good(4)]
    result = parse_body("\n".join(body) + "\n", RECEIVED, max_failed=3)
    summary = result.summary()
    assert (summary["success"], summary["fail"]) == (2, 3)
    assert [event.value for event in result.events] == [1.0, 2.0]
    assert result.stopped_at == 5
    assert summary["stopped"] == (
        "reading stopped at line 5 after 3 failed lines; the lines after it were not read"
    )


def test_a_body_under_the_failed_line_cap_says_nothing_of_stopping():
    summary = parse_body("x\n" * 3 + good(1) + "\n", RECEIVED, max_failed=4).summary()
    assert (summary["success"], summary["fail"]) == (1, 3)
    assert "stopped" not in summary


def test_refused_events_turn_their_lines_into_failures():
    result = parse_body("series e:a m:x=1 m:y=2\nseries e:b m:x=3\nseries e:c m:x=4\n", RECEIVED)
    assert (result.success, len(result.events)) == (3, 4)
    result.refuse([(1, "refused by the database: no"), (2, "refused by the database: no")])
    summary = result.summary()
    assert (summary["success"], summary["fail"]) == (1, 2)
    assert [(error["line"], error["reason"]) for error in summary["errors"]] == [
        (1, "refused by the database: no"),
        (2, "refused by the database: no"),
    ]
