"""parse_command: spec §1.1-1.3 rules and every example of §1.5."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.ingest import series_fast
from rules.ingest.commands import _parse_general, parse_command
from rules.ingest.lines import split_lines
from rules.ingest.values import MAX_TIME_MS, CommandError

RECEIVED = 1_700_000_000_000


def parse(line: str) -> list:
    return parse_command(line, RECEIVED)


def parse_one(line: str):
    events = parse(line)
    assert len(events) == 1
    return events[0]


def reason(line: str) -> str:
    with pytest.raises(CommandError) as caught:
        parse(line)
    return caught.value.reason


# --- spec §1.5 examples -----------------------------------------------------


def test_example_1_lower_cases_entity_metric_and_tag_names_and_uses_receive_time():
    event = parse_one("series e:nurSWG m:Temperature=38.5 t:Degrees=Celsius")
    assert (event.kind, event.entity, event.metric) == ("series", "nurswg", "temperature")
    assert event.tags == {"degrees": "Celsius"}
    assert event.value == 38.5
    assert event.time_ms == event.receive_ms == RECEIVED


def test_example_2_gives_one_event_per_metric_with_all_line_values():
    events = parse("series e:server001 m:cpu_used=72.0 m:memory_used=94.5 s:1425482080")
    assert [(e.metric, e.value, e.time_ms) for e in events] == [
        ("cpu_used", 72.0, 1425482080000),
        ("memory_used", 94.5, 1425482080000),
    ]
    for event in events:
        assert event.line_values == {"cpu_used": 72.0, "memory_used": 94.5}


def test_example_3_keeps_tag_values_with_slashes():
    event = parse_one(
        "series e:server001 m:disk_used_percent=20.5 t:mount_point=/ t:disk_name=/sda1"
    )
    assert event.tags == {"disk_name": "/sda1", "mount_point": "/"}


def test_example_4_attaches_quoted_x_text_to_the_metric():
    event = parse_one(
        'series d:2016-10-13T08:15:00Z e:sensor-1 m:temperature=24.4 x:temperature="Provisional"'
    )
    assert (event.time_ms, event.value, event.text) == (1476346500000, 24.4, "Provisional")


def test_example_5_x_without_m_gives_nan_and_keeps_commas_and_spaces():
    event = parse_one(
        'series d:2016-10-13T10:30:00Z e:sensor-1 x:status="Shutdown by adm-user, RFC-5434"'
    )
    assert event.metric == "status"
    assert math.isnan(event.value)
    assert event.text == "Shutdown by adm-user, RFC-5434"
    assert event.line_values == {}


def test_example_6_accepts_nan_literal():
    assert math.isnan(parse_one("series e:sensor-1 m:temperature=NaN").value)


def test_example_7_parses_exponent_and_iso_time_with_offset_and_millis():
    event = parse_one("series e:e1 m:page_count=1.234e10 d:2016-06-05T05:49:25.127-04:00")
    assert event.value == 12340000000.0
    assert event.time_ms == 1465120165127  # 2016-06-05T09:49:25.127Z


def test_example_8_reads_message_type_source_tags_and_text():
    event = parse_one(
        "message d:2016-03-04T12:43:20Z e:server001 t:type=application t:source=cron "
        't:job=backup m:"Task completed"'
    )
    assert (event.kind, event.metric, event.value) == ("message", "message", 0.0)
    assert (event.type, event.source, event.text) == ("application", "cron", "Task completed")
    assert event.tags == {"type": "application", "source": "cron", "job": "backup"}
    assert event.time_ms == 1457095400000


def test_example_9_lower_cases_message_tag_names_but_keeps_values():
    event = parse_one('message e:nurSWG t:type=Security t:FS_type=NFS m:"Initiation complete"')
    assert event.entity == "nurswg"
    assert event.tags == {"type": "Security", "fs_type": "NFS"}
    assert event.type == "Security"


def test_example_10_reads_severity_name_and_persist_false():
    event = parse_one(
        'message e:server001 t:type=deploy t:severity=warning p:false m:"branch: master"'
    )
    assert event.severity == 3
    assert event.persist is False
    assert event.text == "branch: master"
    assert event.tags["severity"] == "warning"


def test_example_11_lower_cases_property_type_and_key_and_tag_names():
    event = parse_one("property e:nurSWG t:DISK-config k:FS_type=NFS v:Initiator=Pre-fetch")
    assert (event.kind, event.metric, event.value) == ("property", "property", 0.0)
    assert event.type == "disk-config"
    assert event.keys == {"fs_type": "NFS"}
    assert event.tags == {"initiator": "Pre-fetch"}


def test_example_12_accepts_an_empty_property_tag_as_a_delete():
    event = parse_one(
        'property e:server-001 t:disk-config k:mount_point=/ k:name=sda1 v:fs_type=""'
    )
    assert event.keys == {"mount_point": "/", "name": "sda1"}
    assert event.tags == {"fs_type": ""}


def test_example_13_allows_equals_in_quoted_names_and_doubled_quotes_in_values():
    event = parse_one('property e:e1 t:cfg v:"os=name"=Ubuntu v:os="Ubuntu=""14"""')
    assert event.tags == {"os=name": "Ubuntu", "os": 'Ubuntu="14"'}


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("series e:station_1", "series: at least one m: or x: field required"),
        ("series e:s m:t=1,5", "series: m:t=1,5: '1,5' is not a number"),
        ("series e:s m:t=5 ms:-5", "time -5 ms is before 1970-01-01"),
        (
            "series e:s m:t=5 d:2016-13-01T00:00:00Z",
            "time 2016-13-01T00:00:00Z: month 13 out of range",
        ),
        ("unknown_command e:s m:t=1", "unknown command 'unknown_command'"),
    ],
)
def test_example_14_rejects_each_bad_line_with_its_reason(line, expected):
    assert reason(line) == expected


def test_example_15_accepts_every_line_of_a_mixed_body():
    body = (
        "series e:DL1866 m:speed=650 m:altitude=12300\n"
        "property e:abc001 t:disk k:name=sda v:size=203459\n"
        "series e:DL1867 m:speed=450\n"
        'message e:server001 d:2018-03-04T12:43:20+00:00 t:subject="my subject" m:"Hello, world"\n'
    )
    results = [parse(line.text) for line in split_lines(body)]
    assert len(results) == 4
    assert [len(events) for events in results] == [2, 1, 1, 1]
    assert results[3][0].tags == {"subject": "my subject"}
    assert results[3][0].text == "Hello, world"


# --- required fields, commands, prefixes ------------------------------------


def test_it_requires_an_entity():
    assert reason("series m:a=1") == "missing required field e: (entity)"
    assert reason("message m:hello") == "missing required field e: (entity)"


def test_it_rejects_an_empty_entity_name():
    assert reason("series e: m:a=1") == "series: e:: empty entity name"


def test_it_rejects_an_unknown_field_prefix():
    assert reason("series e:x m:a=1 z:1") == "series: z:1: unknown field prefix 'z:'"


def test_it_rejects_a_prefix_that_belongs_to_another_command():
    assert reason("series e:x m:a=1 p:true") == "series: p:true: unknown field prefix 'p:'"
    assert "unknown field prefix 'x:'" in reason("message e:x x:a=1")


def test_it_rejects_a_field_without_prefix():
    assert "field has no prefix" in reason("series e:x m:a=1 stray")


def test_it_rejects_a_metric_field_without_equals():
    assert reason("series e:x m:abc") == "series: m:abc: expected name=value"


def test_it_rejects_an_empty_line():
    assert reason("") == "empty command line"


def test_it_treats_command_names_as_case_sensitive():
    assert reason("SERIES e:x m:a=1") == "unknown command 'SERIES'"


# --- quoting ----------------------------------------------------------------


def test_it_rejects_an_unterminated_quote():
    assert "unterminated quote" in reason('series e:x m:a=1 x:a="never closed')


def test_it_unescapes_doubled_quotes():
    assert parse_one('series e:x x:a="say ""hi"""').text == 'say "hi"'


def test_it_keeps_newlines_and_tabs_inside_quoted_values():
    event = parse_one('message e:x m:"line one\r\nline\ttwo"')
    assert event.text == "line one\r\nline\ttwo"


def test_it_accepts_quoted_entity_and_tag_names_with_spaces():
    event = parse_one('series e:"My Host" m:a=1 t:"Data Center"="DC 1"')
    assert event.entity == "my host"
    assert event.tags == {"data center": "DC 1"}


def test_it_accepts_equals_inside_unquoted_values():
    event = parse_one("series e:x m:a=1 t:query=a=b")
    assert event.tags == {"query": "a=b"}


def test_it_rejects_a_quote_inside_an_unquoted_value():
    assert "inside an unquoted value" in reason('series e:x m:a=1 t:k=ab"c"')


def test_it_rejects_text_glued_after_a_closing_quote():
    assert "after the closing quote" in reason('series e:x x:a="b"c')


def test_it_rejects_control_characters_outside_quotes():
    assert "control character U+0009" in reason("series e:x\tm:a=1")


def test_it_accepts_non_latin_names_and_values():
    event = parse_one("series e:Сервер m:温度=21.5 t:Ort=Zürich")
    assert (event.entity, event.metric, event.tags) == ("сервер", "温度", {"ort": "Zürich"})


def test_it_accepts_several_spaces_between_fields():
    event = parse_one("  series   e:x    m:a=1  ")
    assert (event.entity, event.value) == ("x", 1.0)


# --- case rules ---------------------------------------------------------------


def test_it_lower_cases_names_and_keeps_values():
    event = parse_one('series e:HOST m:CPU=1 t:Env=PROD x:CPU="High Load"')
    assert (event.entity, event.metric, event.tags, event.text) == (
        "host",
        "cpu",
        {"env": "PROD"},
        "High Load",
    )


def test_it_keeps_message_text_case():
    assert parse_one("message e:x m:MixedCase").text == "MixedCase"


# --- numbers ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("42", 42.0), ("-1.5", -1.5), ("+2", 2.0), ("1.234e10", 1.234e10), ("5E-3", 0.005),
     (".5", 0.5), ("7.", 7.0)],
)  # fmt: skip
def test_it_reads_numbers_with_sign_fraction_and_exponent(text, expected):
    assert parse_one(f"series e:x m:a={text}").value == expected


@pytest.mark.parametrize(
    "text", ["0x1F", "Infinity", "-inf", "1,000", "1_000", "nan", "1e", "--1", "١٢", ""]
)
def test_it_rejects_numbers_outside_the_grammar(text):
    assert f"'{text}' is not a number" in reason(f"series e:x m:a={text}")


def test_it_rejects_numbers_beyond_the_double_range():
    assert "out of the double range" in reason("series e:x m:a=1e999")


# --- booleans and repeated fields --------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"), [("true", True), ("FALSE", False), ('"false"', False)]
)
def test_it_reads_booleans_optionally_quoted(text, expected):
    assert parse_one(f"message e:x m:hi p:{text}").persist is expected


def test_it_rejects_a_bad_boolean():
    assert (
        reason("message e:x m:hi p:yes") == "message: p:yes: 'yes' is not a boolean (true or false)"
    )


def test_it_validates_series_append_flag():
    assert parse_one("series e:x x:a=hi a:true").text == "hi"
    assert "not a boolean" in reason("series e:x x:a=hi a:1")


def test_repeated_fields_last_wins():
    event = parse_one("series e:first e:second m:a=1 t:k=1 t:k=2 ms:10 ms:20")
    assert (event.entity, event.tags, event.time_ms) == ("second", {"k": "2"}, 20)


def test_a_repeated_metric_keeps_the_last_value_once():
    events = parse("series e:x m:a=1 m:b=2 m:A=3")
    assert [(e.metric, e.value) for e in events] == [("a", 3.0), ("b", 2.0)]


def test_it_drops_a_series_tag_with_an_empty_value():
    assert parse_one("series e:x m:a=1 t:k=v t:k=").tags == {}


# --- times ----------------------------------------------------------------------


def test_it_uses_receive_time_when_no_time_is_given():
    assert parse_one("series e:x m:a=1").time_ms == RECEIVED


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("ms:1425482080123", 1425482080123),
        ("s:1425482080", 1425482080000),
        ("d:2015-03-04T15:14:40Z", 1425482080000),
        ("d:2015-03-04T15:14:40.5Z", 1425482080500),
        ("d:2015-03-04T15:14:40.123456789Z", 1425482080123),
        ("d:2015-03-04T17:14:40+02:00", 1425482080000),
        ("d:2015-03-04T10:14:40-0500", 1425482080000),
        ("ms:0", 0),
        (f"ms:{MAX_TIME_MS}", MAX_TIME_MS),
        ("d:2106-02-07T06:59:59.999Z", MAX_TIME_MS),
    ],
)
def test_it_reads_times_in_ms_seconds_and_iso(field, expected):
    assert parse_one(f"series e:x m:a=1 {field}").time_ms == expected


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("ms:-5", "time -5 ms is before 1970-01-01"),
        ("s:-1", "time -1 s is before 1970-01-01"),
        ("d:1969-12-31T23:59:59Z", "time 1969-12-31T23:59:59Z is before 1970-01-01"),
        (f"ms:{MAX_TIME_MS + 1}", f"time {MAX_TIME_MS + 1} ms is after 2106-02-07T06:59:59.999Z"),
        ("ms:1.5", "time 1.5 ms: not a whole number"),
        ("d:2016-02-30T00:00:00Z", "time 2016-02-30T00:00:00Z: day 30 out of range"),
        ("d:2016-01-01T24:00:00Z", "time 2016-01-01T24:00:00Z: hour 24 out of range"),
        ("d:2016-01-01T00:60:00Z", "time 2016-01-01T00:60:00Z: minute 60 out of range"),
    ],
)
def test_it_rejects_bad_or_out_of_range_times(field, expected):
    assert reason(f"series e:x m:a=1 {field}") == expected


@pytest.mark.parametrize(
    "iso", ["2016-01-01", '"2016-01-01 00:00:00Z"', "2016-01-01T00:00:00", "2016-01-01T00:00Z"]
)
def test_it_rejects_times_that_are_not_iso_8601(iso):
    assert "not an ISO-8601 time" in reason(f"series e:x m:a=1 d:{iso}")


# --- limits -------------------------------------------------------------------


def test_it_rejects_a_line_over_128_kb():
    line = "series e:x m:a=1 x:a=" + "y" * (204800 - 21)
    assert len(line) == 204800
    assert reason(line) == "line is 204800 bytes, the limit is 131072"


def test_it_measures_the_line_limit_in_bytes_not_characters():
    line = "series e:x x:a=" + "é" * 70000  # 140,015 bytes in UTF-8
    assert reason(line) == "line is 140015 bytes, the limit is 131072"


def test_it_accepts_1024_tags_and_rejects_1025():
    tags = " ".join(f"t:k{i}=v" for i in range(1024))
    assert len(parse_one(f"series e:x m:a=1 {tags}").tags) == 1024
    assert reason(f"series e:x m:a=1 {tags} t:one_more=v") == "1025 tags, the limit is 1024"


def test_it_counts_property_keys_and_tags_against_the_limit():
    keys = " ".join(f"k:k{i}=v" for i in range(1000))
    tags = " ".join(f"v:t{i}=v" for i in range(25))
    assert reason(f"property e:x t:cfg {keys} {tags}") == "1025 tags, the limit is 1024"


# --- what the database can store (rules.columns) -------------------------

LONG = "z" * 600


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (f"series e:{LONG} m:cpu=1", "series: e:zzz"),
        (f'series e:"{LONG}" m:cpu=1', 'series: e:"zzz'),
        (f"series e:a m:{LONG}=1", "series: m:zzz"),
        (f"series e:a x:{LONG}=text", "series: x:zzz"),
        (f"series e:a m:cpu=1 t:{LONG}=v", "series: t:zzz"),
        (f"message e:a t:{LONG}=v m:hello", "message: t:zzz"),
        (f"property e:a t:{LONG} v:a=b", "property: t:zzz"),
        (f"property e:a t:cfg k:{LONG}=v v:a=b", "property: k:zzz"),
        (f"property e:a t:cfg v:{LONG}=b", "property: v:zzz"),
    ],
)
def test_a_name_longer_than_its_column_is_one_failed_line_naming_the_field(line, expected):
    text = reason(line)
    assert text.startswith(expected)
    assert text.endswith("name is 600 characters, the limit is 512")


def test_names_of_512_characters_are_stored():
    name = "n" * 512
    event = parse_one(f"series e:{name} m:{name}=1")
    assert (len(event.entity), len(event.metric)) == (512, 512)


def test_names_are_measured_lower_cased_as_they_are_stored():
    # U+0130 lower-cases to two code points: 300 characters sent, 600 stored.
    assert reason("series e:" + "\u0130" * 300 + " m:cpu=1").endswith(
        "entity name is 600 characters, the limit is 512"
    )


def test_a_tag_value_too_long_for_any_window_key_is_one_failed_line():
    assert reason("series e:a m:cpu=1 t:pad=" + "x" * 2100) == (
        "series: kind, metric, entity and t:pad: window key is 2117 bytes in UTF-8, "
        "the limit is 2048"
    )


def test_window_keys_are_measured_in_utf8_bytes():
    fits = "é" * 1015  # 2,030 bytes; the key series-cpu-a-p=... is 2,045
    assert parse_one(f"series e:a m:cpu=1 t:p={fits}").tags == {"p": fits}
    assert "window key is 2049 bytes" in reason(f"series e:a m:cpu=1 t:p={fits}éé")


def test_many_tags_may_together_exceed_the_window_key():
    # ATSD takes 1,024 tags; a rule grouping by all of them reports its own key.
    tags = " ".join(f"t:tag{i}={'v' * 100}" for i in range(30))
    assert len(parse_one(f"series e:a m:cpu=1 {tags}").tags) == 30


def test_property_keys_and_type_count_towards_the_window_key():
    assert reason("property e:a t:cfg k:k=" + "v" * 2100 + " v:a=b").startswith(
        "property: kind, metric, entity and k:k: window key is"
    )


def test_a_nul_character_is_one_failed_line_even_quoted():
    assert reason('message e:a m:"a\x00b"') == (
        'message: m:"a\\0b": NUL character (U+0000) in a quoted value cannot be stored'
    )
    assert "U+0000" in reason("series e:a\x00 m:cpu=1")


_long_names = st.text(alphabet="aZé\u0130", min_size=250, max_size=520)


@settings(max_examples=200)
@given(entity=_long_names, metric=_long_names, tag=_long_names, value=_long_names)
def test_the_fast_path_agrees_with_the_general_parser_on_long_names(entity, metric, tag, value):
    line = f"series e:{entity} m:{metric}=1 t:{tag}={value} t:{value}={tag}"
    assert repr(_outcome(parse_command, line)) == repr(_outcome(_parse_general, line))


# --- series, message, property specifics ---------------------------------------


def test_series_events_keep_written_order_across_m_and_x_fields():
    events = parse("series e:x x:b=note m:a=1 m:b=2")
    assert [(e.metric, e.value, e.text) for e in events] == [("b", 2.0, "note"), ("a", 1.0, None)]
    assert events[0].line_values == {"b": 2.0, "a": 1.0}


def test_line_values_leave_out_text_only_metrics():
    events = parse("series e:x m:a=1 x:b=note")
    assert events[1].metric == "b"
    assert math.isnan(events[1].value)
    assert events[1].line_values == {"a": 1.0}


@pytest.mark.parametrize(
    ("severity", "code"),
    [("0", 0), ("7", 7), ("undefined", 0), ("Unknown", 1), ("NORMAL", 2), ("info", 2),
     ("Warn", 3), ("minor", 4), ("MAJOR", 5), ("critical", 6), ("error", 6), ("FATAL", 7)],
)  # fmt: skip
def test_message_severity_accepts_codes_names_and_aliases(severity, code):
    assert parse_one(f"message e:x t:severity={severity}").severity == code


def test_message_rejects_an_unknown_severity():
    assert "'8' is not a severity" in reason("message e:x t:severity=8")


def test_message_needs_text_or_a_tag():
    assert "m:) or at least one tag" in reason("message e:x")
    assert parse_one("message e:x t:type=app").text is None


def test_message_defaults_persist_to_true_and_severity_to_none():
    event = parse_one("message e:x m:hi")
    assert (event.persist, event.severity, event.type, event.source) == (True, None, None, None)


def test_message_m_field_is_text_even_with_equals():
    assert parse_one("message e:x m:a=b").text == "a=b"


def test_property_requires_a_type():
    assert reason("property e:x v:a=1") == "missing required field t: (property type)"


def test_property_requires_a_tag():
    assert reason("property e:x t:cfg k:a=1") == "property: at least one v: field required"


def test_property_takes_time_and_persist():
    event = parse_one("property e:x t:cfg v:a=1 s:1 p:false")
    assert (event.time_ms, event.persist) == (1000, False)


# --- fast path agrees with the general path ----------------------------------

_names = st.text(alphabet="abcXYZ_-./09é", min_size=0, max_size=6)
_values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["NaN", "1e999", "1_0", "0x1", "1,5", "", "+.5", "7.", "-0"]),
)
_fields = st.one_of(
    st.tuples(st.just("e:"), _names).map("".join),
    st.sampled_from(["e", "m", "t", "ms", "d", "e:x:y", "m:a:b=1"]),
    st.tuples(st.just("m:"), _names, st.just("="), _values).map("".join),
    st.tuples(st.just("t:"), _names, st.sampled_from(["=", ""]), _names).map("".join),
    st.integers(-5, MAX_TIME_MS + 5).map(lambda ms: f"ms:{ms}"),
    st.sampled_from(
        ["d:2016-10-13T08:15:00Z", "d:2016-13-01T00:00:00Z", "s:5", "x:a=b", "z:1", "", "e:"]
    ),
)


def _outcome(parse_function, line):
    try:
        return [e.to_wire() for e in parse_function(line, RECEIVED)]
    except CommandError as exc:
        return exc.reason


def test_remembered_fields_stay_bounded_and_read_the_same(monkeypatch):
    monkeypatch.setattr(series_fast, "FIELD_MEMO_LIMIT", 8)
    lines = [f"series e:Host-{i % 20} m:Cpu_{i % 12}=1 t:Dc=dc{i % 5} ms:{i}" for i in range(60)]
    first = [_outcome(parse_command, line) for line in lines]
    again = [_outcome(parse_command, line) for line in lines]
    assert first == again == [_outcome(_parse_general, line) for line in lines]
    assert len(series_fast._known_fields) <= 8
    assert len(series_fast._known_metrics) <= 8


def test_long_fields_are_read_but_not_remembered():
    entity, tag, metric = "h" * 200, "v" * 200, "m" * 200
    for _ in range(2):
        [event] = parse(f"series e:{entity} m:{metric}=1 t:dc={tag}")
        assert (event.entity, event.metric, event.tags) == (entity, metric, {"dc": tag})
    assert f"e:{entity}" not in series_fast._known_fields
    assert f"t:dc={tag}" not in series_fast._known_fields
    assert metric not in series_fast._known_metrics


def test_a_field_rejected_once_is_rejected_again():
    assert "U+0007" in reason("series e:a\x07 m:cpu=1")
    assert "U+0007" in reason("series e:a\x07 m:cpu=1")
    assert "U+0009" in reason("series e:a m:c\tpu=1")
    assert "U+0009" in reason("series e:a m:c\tpu=1")


@given(st.lists(_fields, max_size=6))
def test_the_fast_path_agrees_with_the_general_parser(fields):
    line = " ".join(["series", *fields])
    assert repr(_outcome(parse_command, line)) == repr(_outcome(_parse_general, line))
