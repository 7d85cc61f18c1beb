"""POST /api/v1/series/insert payloads (spec §1.4)."""

import json
import math

import pytest

from rules.ingest.series_insert import SeriesInsertError, parse_series_insert

RECEIVED = 1_700_000_000_000


def insert(document) -> list:
    return parse_series_insert(json.dumps(document).encode(), RECEIVED)


def rejection(payload) -> tuple[int, str]:
    if not isinstance(payload, (bytes, str)):
        payload = json.dumps(payload)
    with pytest.raises(SeriesInsertError) as caught:
        parse_series_insert(payload, RECEIVED)
    return caught.value.status, caught.value.message


def series(**overrides):
    item = {"entity": "e1", "metric": "m1", "data": [{"t": 1000, "v": 1.5}]}
    item.update(overrides)
    return item


def test_it_turns_each_history_sample_into_an_event_in_array_order():
    events = insert(
        [
            {
                "entity": "NurSWG",
                "metric": "Temperature",
                "tags": {"Degrees": "Celsius"},
                "type": "HISTORY",
                "data": [
                    {"t": 1000, "v": 38.5},
                    {"d": "2016-10-13T08:15:00Z", "v": 24.4, "x": "Provisional"},
                ],
            },
            series(metric="other", data=[{"t": 5, "v": 2}]),
        ]
    )
    assert [(e.entity, e.metric, e.time_ms, e.value, e.text) for e in events] == [
        ("nurswg", "temperature", 1000, 38.5, None),
        ("nurswg", "temperature", 1476346500000, 24.4, "Provisional"),
        ("e1", "other", 5, 2.0, None),
    ]
    assert events[0].tags == {"degrees": "Celsius"}
    assert events[0].receive_ms == RECEIVED
    assert events[0].line_values == {"temperature": 38.5}


def test_null_value_becomes_nan():
    (event,) = insert([series(data=[{"t": 1, "v": None}])])
    assert math.isnan(event.value)


def test_a_text_only_sample_has_nan_and_no_line_value():
    (event,) = insert([series(data=[{"t": 1, "x": "note"}])])
    assert math.isnan(event.value)
    assert (event.text, event.line_values) == ("note", {})


def test_forecast_series_are_accepted_and_left_out():
    events = insert([series(type="FORECAST", forecastName="ses"), series(metric="kept")])
    assert [e.metric for e in events] == ["kept"]


def test_version_and_s_fields_are_accepted():
    (event,) = insert([series(data=[{"t": 1, "v": 2, "s": 3, "version": {"status": "ok"}}])])
    assert event.value == 2.0


def test_an_empty_array_is_a_valid_request_with_no_events():
    assert insert([]) == []


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ([series(entity="")], "IllegalArgumentException: Empty entity."),
        ([{"metric": "m", "data": [{"t": 1, "v": 1}]}], "IllegalArgumentException: Empty entity."),
        ([series(data=[{"t": -1, "v": 1}])], "IllegalArgumentException: Negative timestamp."),
        ([series(data=[])], "IllegalArgumentException: No data."),
        ([series(data=None)], "IllegalArgumentException: No data."),
    ],
)
def test_it_answers_400_with_atsd_texts(document, expected):
    assert rejection(document) == (400, expected)


def test_it_rejects_a_significand_that_overflows_a_long():
    payload = '[{"entity":"e","metric":"m","data":[{"t":1,"v":12345678901234567890}]}]'
    assert rejection(payload) == (
        400,
        "IllegalArgumentException: BigDecimal significand overflows the long type.",
    )
    # 19 digits that fit in a long are fine
    ok = '[{"entity":"e","metric":"m","data":[{"t":1,"v":922337203685477580.7}]}]'
    assert parse_series_insert(ok, RECEIVED)[0].value == pytest.approx(9.223372036854776e17)


def test_bad_json_is_a_500_json_parse_exception():
    status, message = rejection(b'[{"entity": ')
    assert status == 500
    assert message.startswith("JsonParseException: ")


def test_nan_tokens_are_bad_json():
    assert rejection('[{"entity":"e","metric":"m","data":[{"t":1,"v":NaN}]}]') == (
        500,
        "JsonParseException: Non-standard token 'NaN'",
    )


def test_invalid_utf8_is_bad_json():
    assert rejection(b'[{"entity":"\xff"}]')[0] == 500


def test_a_bad_type_is_a_500_json_mapping_exception():
    assert rejection([series(type="PAST")]) == (
        500,
        "JsonMappingException: No enum constant SeriesType.PAST",
    )


def test_one_bad_item_rejects_the_whole_request():
    status, _ = rejection([series(), series(data=[{"t": -5, "v": 1}])])
    assert status == 400


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"entity": "e"}, "Request body must be a JSON array of series."),
        (["not an object"], "item 0 must be a JSON object."),
        ([series(), series(metric="")], "Empty metric in item 1."),
        (
            [series(data=[{"t": 1, "v": "12"}])],
            'item 0.data[0].v must be a number or null, not "12".',
        ),
        (
            [series(data=[{"t": 1, "v": True}])],
            "item 0.data[0].v must be a number or null, not true.",
        ),
        ([series(data=[{"v": 1}])], "item 0.data[0]: t or d required."),
        ([series(data=[{"t": 1.5, "v": 1}])], "item 0.data[0].t must be whole Unix milliseconds."),
        ([series(data=["x"])], "item 0.data[0] must be a JSON object."),
        ([series(tags=["a"])], "item 0.tags must be an object."),
    ],
)
def test_it_names_the_item_and_field_at_fault(document, expected):
    assert rejection(document) == (400, f"IllegalArgumentException: {expected}")


def test_a_bad_iso_date_names_the_field():
    status, message = rejection([series(data=[{"d": "2016-13-01T00:00:00Z", "v": 1}])])
    assert status == 400
    assert message == (
        "IllegalArgumentException: item 0.data[0].d: "
        "time 2016-13-01T00:00:00Z: month 13 out of range."
    )
