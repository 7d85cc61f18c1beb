"""``/api/v1/alerts/{query,history/query,update,delete}`` against factory data (spec §8, §9)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from rules.alerts.filters import QueryError, date_filter, parse_date, shift
from rules.models import Alert
from tests.factories import make_alert, make_history, make_metric

pytestmark = pytest.mark.django_db

QUERY = "/api/v1/alerts/query"
HISTORY = "/api/v1/alerts/history/query"
UPDATE = "/api/v1/alerts/update"
DELETE = "/api/v1/alerts/delete"


def _basic(username: str) -> str:
    raw = f"{username}:pw-{username}".encode()
    return "Basic " + base64.b64encode(raw).decode()


@pytest.fixture
def api(client, operator, django_user_model):
    """POST a JSON body as ``user`` (the operator by default).

    A signed-in session by default: password hashing per request would make this
    suite slow. ``basic=True`` sends HTTP basic credentials as ATSD clients do.
    """

    def post(url, body, user="oscar", raw=None, basic=False):
        data = raw if raw is not None else json.dumps(body)
        if basic:
            headers = {"authorization": _basic(user)}
        else:
            client.force_login(django_user_model.objects.get(username=user))
            headers = {}
        return client.post(url, data=data, content_type="application/json", headers=headers)

    return post


# -- /api/v1/alerts/query ---------------------------------------------------------------------


def test_query_item_has_exactly_the_spec_shape(api):
    alert = make_alert()
    response = api(QUERY, [{"entity": "*", "startDate": "1970-01-01T00:00:00Z", "endDate": "now"}])
    assert response.status_code == 200
    assert response.json() == [
        {
            "id": alert.pk,
            "entity": "nurswgvml006",
            "tags": {"file_system": "/dev/sdc1", "mount_point": "/media/datadrive"},
            "repeatCount": 106,
            "textValue": "61.365",
            "metric": "disk_used_percent",
            "severity": "CRITICAL",
            "rule": "disk_low",
            "acknowledged": False,
            "openDate": "2018-05-12T13:39:37.000Z",
            "openValue": 61.3998,
            "lastEventDate": "2018-05-12T14:57:42.000Z",
            "value": 61.3651,
        }
    ]


def test_query_spec_example_metrics_entity_min_severity_and_dates(api):
    in_range = datetime(2016, 6, 1, tzinfo=UTC)
    wanted = [
        make_alert(entity="nurswgvml007", metric="message", rule="m", severity="MAJOR",
                   open_date=in_range),
        make_alert(entity="nurswgvml007", metric="loadavg.5m", rule="l", severity="MINOR",
                   open_date=in_range - timedelta(days=1)),
    ]  # fmt: skip
    make_alert(entity="nurswgvml007", metric="loadavg.5m", rule="w", severity="WARNING",
               open_date=in_range)  # below minSeverity  # fmt: skip
    make_alert(entity="nurswgvml007", metric="disk_used_percent", rule="d",
               open_date=in_range)  # other metric  # fmt: skip
    make_alert(entity="nurswgvml006", metric="message", rule="m", severity="MAJOR",
               open_date=in_range)  # other entity  # fmt: skip
    make_alert(entity="nurswgvml007", metric="message", rule="late", severity="MAJOR",
               open_date=datetime(2016, 6, 25, 5, tzinfo=UTC))  # endDate is exclusive  # fmt: skip
    body = [
        {
            "metrics": ["loadavg.5m", "message"],
            "entity": "nurswgvml007",
            "minSeverity": "MINOR",
            "startDate": "2016-05-07T04:00:00Z",
            "endDate": "2016-06-25T05:00:00Z",
        }
    ]
    response = api(QUERY, body)
    assert response.status_code == 200
    assert [item["id"] for item in response.json()] == [a.pk for a in wanted]


def test_row_28_acknowledge_then_query_acknowledged(api):
    alert = make_alert()
    make_alert(entity="other")  # stays unacknowledged
    response = api(UPDATE, [{"id": alert.pk, "acknowledged": True}], basic=True)
    assert response.status_code == 200
    assert response.content == b""
    found = api(
        QUERY,
        basic=True,
        body=[
            {
                "entity": "*",
                "startDate": "1970-01-01T00:00:00Z",
                "endDate": "now",
                "acknowledged": True,
            }
        ],
    ).json()
    assert [(item["id"], item["acknowledged"]) for item in found] == [(alert.pk, True)]


def test_query_filters_rules_severities_and_entities(api):
    a = make_alert(entity="web-01", rule="cpu_high", severity="WARNING")
    b = make_alert(entity="web-02", rule="disk_low", severity="CRITICAL")
    make_alert(entity="db-01", rule="disk_low", severity="CRITICAL")
    dates = {"startDate": "1970-01-01T00:00:00Z", "endDate": "now"}

    def ids(**query):
        response = api(QUERY, [{**dates, **query}])
        assert response.status_code == 200, response.content
        return sorted(item["id"] for item in response.json())

    assert ids(entity="web-*", rules=["disk_low"]) == [b.pk]
    assert ids(entity="web-0?", rules=[]) == sorted([a.pk, b.pk])  # empty rules = all
    assert ids(entities=["web-01", "web-02"], severities=["warning"]) == [a.pk]
    assert ids(entities=["WEB-01"]) == [a.pk]  # names are lower case; matching ignores case
    assert ids(entity="web-*", entities=["db-01"]) == sorted([a.pk, b.pk])  # entity wins


def test_queries_are_concatenated_and_limited_each(api):
    for i in range(3):
        make_alert(entity=f"e{i}", open_date=datetime(2018, 1, 1 + i, tzinfo=UTC))
    dates = {"startDate": "2018-01-01T00:00:00Z", "endDate": "2019-01-01T00:00:00Z"}
    response = api(QUERY, [{"entity": "*", "limit": 2, **dates}, {"entity": "e0", **dates}])
    assert [item["entity"] for item in response.json()] == ["e2", "e1", "e0"]
    unlimited = api(QUERY, [{"entity": "*", "limit": 0, **dates}]).json()
    assert len(unlimited) == 3


@pytest.mark.parametrize(
    "dates",
    [
        {"startDate": "now - 1 * HOUR", "endDate": "now"},
        {"interval": {"count": 1, "unit": "HOUR"}},
        {"endDate": "now + 1 * MINUTE", "interval": {"count": 61, "unit": "minute"}},
        {"startDate": "now-1*DAY", "interval": {"count": 2, "unit": "DAY"}},
        {"startDate": "current_day", "endDate": "next_day"},
        {"startDate": "2018-05-12T13:39:37.000Z", "endDate": "now + 1 * YEAR"},
    ],
)
def test_date_filters_with_keywords_and_intervals(api, dates):
    make_alert(open_date=timezone.now() - timedelta(minutes=1), entity="recent")
    make_alert(open_date=timezone.now() - timedelta(days=3), entity="old")
    items = api(QUERY, [{"entity": "recent", **dates}]).json()
    assert [item["entity"] for item in items] == ["recent"]


# -- /api/v1/alerts/history/query -------------------------------------------------------------


def test_history_spec_example(api):
    make_history()
    response = api(
        HISTORY,
        [
            {
                "entity": "nurswgvml007",
                "metric": "nmon.cpu_total.busy%",
                "startDate": "2016-07-01T00:00:00Z",
                "endDate": "2016-07-02T00:00:00Z",
            }
        ],
    )
    assert response.status_code == 200
    assert response.json() == [
        {
            "date": "2016-07-01T11:08:25.000Z",
            "entity": "nurswgvml007",
            "metric": "nmon.cpu_total.busy%",
            "type": "CANCEL",
            "value": 9.5,
            "alert": "Cancel alert for nurswgvml007, nmon.cpu_total.busy%, {}",
            "severity": "UNDEFINED",
            "rule": "nmon_cpu_alert",
            "ruleExpression": "max() > 10",
            "window": "length(3)",
            "repeatCount": 3,
            "alertDuration": 240043,
            "alertOpenDate": "2016-07-01T11:04:25.318Z",
            "receivedDate": "2016-07-01T11:08:25.361Z",
        }
    ]


def test_history_keeps_tags_and_rule_filter_when_present(api):
    make_history(tags="mount_point=/", rule_filter="tags.mount_point = '/'")
    item = api(HISTORY, [{"entity": "*", "interval": {"count": 100, "unit": "YEAR"}}]).json()[0]
    assert item["tags"] == "mount_point=/"
    assert item["ruleFilter"] == "tags.mount_point = '/'"
    assert list(item)[:5] == ["date", "entity", "metric", "tags", "type"]


def test_history_newest_first_with_rule_patterns_and_limit(api):
    base = datetime(2020, 1, 1, tzinfo=UTC)
    for i, rule in enumerate(["cpu_high", "cpu_low", "disk_low", "cpu_high"]):
        make_history(rule=rule, date=base + timedelta(minutes=i), alert=f"h{i}")
    dates = {"entity": "*", "startDate": "2020-01-01T00:00:00Z", "endDate": "2020-01-02T00:00:00Z"}

    def alerts(**query):
        return [item["alert"] for item in api(HISTORY, [{**dates, **query}]).json()]

    assert alerts() == ["h3", "h2", "h1", "h0"]
    assert alerts(rule="cpu_*") == ["h3", "h1", "h0"]
    assert alerts(rules=["disk_low", "cpu_low"]) == ["h2", "h1"]
    assert alerts(limit=2) == ["h3", "h2"]
    assert alerts(limit=-1) == ["h3", "h2", "h1", "h0"]


def test_history_default_limit_is_1000(api, monkeypatch):
    from rules.alerts import api as module

    monkeypatch.setattr(module, "HISTORY_DEFAULT_LIMIT", 2)
    for i in range(3):
        make_history(date=datetime(2020, 1, 1, 0, i, tzinfo=UTC))
    items = api(HISTORY, [{"entity": "*", "startDate": "2020-01-01T00:00:00Z", "endDate": "now"}])
    assert len(items.json()) == 2


def test_history_unknown_metric_is_404(api):
    response = api(HISTORY, [{"entity": "*", "metric": "nope", "endDate": "now",
                              "interval": {"count": 1, "unit": "DAY"}}])  # fmt: skip
    assert response.status_code == 404
    assert response.json() == {"error": "Metric nope not found"}


def test_history_metric_known_from_the_registry_is_an_empty_answer(api):
    make_metric("temperature")
    response = api(HISTORY, [{"entity": "*", "metric": "temperature", "endDate": "now",
                              "interval": {"count": 1, "unit": "DAY"}}])  # fmt: skip
    assert response.status_code == 200
    assert response.json() == []


# -- /api/v1/alerts/update and /delete --------------------------------------------------------


def test_update_missing_flag_unacknowledges_and_unknown_ids_are_ignored(api):
    a = make_alert(entity="a", acknowledged=True)
    b = make_alert(entity="b", acknowledged=False)
    response = api(UPDATE, [{"id": a.pk}, {"id": b.pk, "acknowledged": True}, {"id": 99999}])
    assert response.status_code == 200
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.acknowledged, b.acknowledged) == (False, True)


def test_update_changes_nothing_when_one_item_is_bad(api):
    a = make_alert()
    response = api(UPDATE, [{"id": a.pk, "acknowledged": True}, {"id": "x"}])
    assert response.status_code == 400
    a.refresh_from_db()
    assert a.acknowledged is False


def test_delete_removes_open_alerts_only(api, administrator):
    a = make_alert(entity="a")
    b = make_alert(entity="b")
    history = make_history()
    response = api(DELETE, [{"id": a.pk}, {"id": 424242}], user="alice")
    assert response.status_code == 200
    assert response.content == b""
    assert list(Alert.objects.values_list("pk", flat=True)) == [b.pk]
    history.refresh_from_db()  # history is not the open-alert store


# -- authentication ---------------------------------------------------------------------------


@pytest.mark.parametrize("url", [QUERY, HISTORY, UPDATE, DELETE])
def test_no_credentials_is_401(client, url):
    response = client.post(url, data="[]", content_type="application/json")
    assert response.status_code == 401
    assert response.json()["error"]


def test_wrong_password_is_401(client, operator):
    bad = "Basic " + base64.b64encode(b"oscar:wrong").decode()
    response = client.post(QUERY, data="[]", content_type="application/json",
                           headers={"authorization": bad})  # fmt: skip
    assert response.status_code == 401


def test_operators_may_query_and_acknowledge_but_not_delete(api):
    alert = make_alert()
    assert api(QUERY, [], basic=True).status_code == 200
    assert api(UPDATE, [{"id": alert.pk, "acknowledged": True}], basic=True).status_code == 200
    response = api(DELETE, [{"id": alert.pk}], basic=True)
    assert response.status_code == 403
    assert Alert.objects.filter(pk=alert.pk).exists()


def test_users_without_a_role_may_neither_read_nor_acknowledge(api, django_user_model):
    django_user_model.objects.create_user("reader", password="pw-reader")
    assert api(QUERY, [], user="reader", basic=True).status_code == 403
    assert api(UPDATE, [], user="reader", basic=True).status_code == 403


def test_a_collector_account_cannot_read_alerts(api, collector):
    make_alert()
    response = api(QUERY, [{"entity": "*", **DATES}], user="collector", basic=True)
    assert response.status_code == 403
    assert response.json() == {"error": "Forbidden: requires the read role"}


@pytest.mark.parametrize("url", [QUERY, HISTORY, UPDATE, DELETE])
def test_get_is_405(client, url):
    assert client.get(url).status_code == 405


# -- bad input: 400 with a message naming the query and the field -----------------------------

DATES = {"startDate": "2018-01-01T00:00:00Z", "endDate": "now"}


@pytest.mark.parametrize(
    ("url", "body", "message"),
    [
        (QUERY, "{", "Request body is not valid JSON"),
        (QUERY, '{"entity":"*"}', "must be a JSON array"),
        (QUERY, "[1]", "Query 0 must be a JSON object"),
        (QUERY, [DATES], "Query 0: missing entity filter"),
        (QUERY, [{"entity": "*", **DATES}, DATES], "Query 1: missing entity filter"),
        (QUERY, [{"entity": "*"}], "Query 0: missing date filter"),
        (QUERY, [{"entity": "*", "startDate": "now"}], "Query 0: missing date filter"),
        (QUERY, [{"entity": "", **DATES}], "Query 0: 'entity' must be a non-empty string"),
        (QUERY, [{"entities": "a", **DATES}], "Query 0: 'entities' must be an array of strings"),
        (QUERY, [{"entityGroup": "g", **DATES}], "'entityGroup': entity groups are not supported"),
        (QUERY, [{"entity": "*", "entityExpression": "true", **DATES}], "'entityExpression'"),
        (QUERY, [{"entity": "*", "startDate": "yesterday", "endDate": "now"}],
         "Query 0: 'startDate': cannot parse 'yesterday'"),
        (QUERY, [{"entity": "*", "startDate": "2018-01-01", "endDate": "2018-13-01"}],
         "Query 0: 'endDate': cannot parse '2018-13-01'"),
        (QUERY, [{"entity": "*", "startDate": "now - 1 * FORTNIGHT", "endDate": "now"}],
         "unknown unit 'FORTNIGHT'"),
        (QUERY, [{"entity": "*", "startDate": 5, "endDate": "now"}],
         "Query 0: 'startDate' must be a date string"),
        (QUERY, [{"entity": "*", "interval": {"count": 5, "unit": "FORTNIGHT"}}],
         "Query 0: 'interval.unit': unknown unit 'FORTNIGHT'"),
        (QUERY, [{"entity": "*", "interval": {"count": -5, "unit": "DAY"}}],
         "Query 0: 'interval.count' must be a positive number"),
        (QUERY, [{"entity": "*", "interval": "5 minutes"}],
         "Query 0: 'interval' must be an object"),
        (QUERY, [{"entity": "*", "minSeverity": "BAD", **DATES}],
         "Query 0: 'minSeverity': unknown severity 'BAD'"),
        (QUERY, [{"entity": "*", "severities": ["SEVERE"], **DATES}],
         "Query 0: 'severities': unknown severity 'SEVERE'"),
        (QUERY, [{"entity": "*", "acknowledged": "yes", **DATES}],
         "Query 0: 'acknowledged' must be true or false"),
        (QUERY, [{"entity": "*", "limit": "10", **DATES}], "Query 0: 'limit' must be an integer"),
        (QUERY, [{"entity": "*", "rules": "disk_low", **DATES}],
         "Query 0: 'rules' must be an array"),
        (QUERY, [{"entity": "*", "metrics": [1], **DATES}], "Query 0: 'metrics' must be an array"),
        (HISTORY, [{"entity": "*"}], "Query 0: missing date filter"),
        (HISTORY, [{"entity": "*", "rule": 5, **DATES}], "Query 0: 'rule' must be a string"),
        (HISTORY, [{"entity": "*", "metric": ["m"], **DATES}],
         "Query 0: 'metric' must be a string"),
        (UPDATE, {"id": 1}, "must be a JSON array"),
        (UPDATE, [{"id": "10"}], "Query 0: 'id' must be an integer, got '10'"),
        (UPDATE, [{"id": 1}, {"id": 1.5}], "Query 1: 'id' must be an integer"),
        (UPDATE, [{"acknowledged": True}], "Query 0: 'id' must be an integer, got None"),
        (UPDATE, [{"id": 1, "acknowledged": "true"}], "Query 0: 'acknowledged' must be true"),
        (DELETE, [{"id": True}], "Query 0: 'id' must be an integer"),
        (DELETE, "null", "must be a JSON array"),
    ],
)  # fmt: skip
def test_bad_input_is_400_with_a_clear_message(api, administrator, url, body, message):
    raw = body if isinstance(body, str) else None
    response = api(url, body, user="alice", raw=raw)
    assert response.status_code == 400, response.content
    assert message in response.json()["error"]


def test_a_body_that_is_not_utf8_is_400(api):
    response = api(QUERY, None, raw=b"\xff\xfe[")
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]


# -- date parsing (pure) ----------------------------------------------------------------------

NOW = datetime(2024, 1, 31, 10, 30, 15, 500000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("now", NOW),
        ("NOW - 1 * HOUR", NOW - timedelta(hours=1)),
        ("now + 2*day", NOW + timedelta(days=2)),
        ("now - 1 * MONTH", datetime(2023, 12, 31, 10, 30, 15, 500000, tzinfo=UTC)),
        ("now + 1 * MONTH", datetime(2024, 2, 29, 10, 30, 15, 500000, tzinfo=UTC)),
        ("now - 1 * YEAR", datetime(2023, 1, 31, 10, 30, 15, 500000, tzinfo=UTC)),
        ("now - 500 * MILLISECOND", NOW - timedelta(milliseconds=500)),
        ("now - 1 * WEEK + 30 * SECOND", NOW - timedelta(weeks=1) + timedelta(seconds=30)),
        ("current_day", datetime(2024, 1, 31, tzinfo=UTC)),
        ("previous_hour", datetime(2024, 1, 31, 9, tzinfo=UTC)),
        ("current_week", datetime(2024, 1, 29, tzinfo=UTC)),
        ("current_month - 1 * DAY", datetime(2023, 12, 31, tzinfo=UTC)),
        ("2016-05-07T04:00:00Z", datetime(2016, 5, 7, 4, tzinfo=UTC)),
        ("2016-05-07T04:00:00.123Z", datetime(2016, 5, 7, 4, 0, 0, 123000, tzinfo=UTC)),
        ("2016-05-07T06:00:00+02:00", datetime(2016, 5, 7, 4, tzinfo=UTC)),
        ("2016-05-07T04:00:00", datetime(2016, 5, 7, 4, tzinfo=UTC)),
    ],
)
def test_parse_date(text, expected):
    assert parse_date(text, 0, "startDate", now=NOW) == expected


def test_interval_alone_ends_now_and_start_is_inclusive():
    window = date_filter({"interval": {"count": 5, "unit": "MINUTE"}}, 0, now=NOW)
    assert (window.start, window.end) == (NOW - timedelta(minutes=5), NOW)


def test_start_and_end_win_over_interval():
    query = {
        "startDate": "now - 1 * DAY",
        "endDate": "now",
        "interval": {"count": 1, "unit": "YEAR"},
    }
    window = date_filter(query, 3, now=NOW)
    assert window.start == NOW - timedelta(days=1)


def test_errors_name_the_query_index():
    with pytest.raises(QueryError, match=r"^Query 7: 'endDate'"):
        date_filter({"startDate": "now", "endDate": "soon"}, 7, now=NOW)


def test_calendar_shift_clamps_to_the_month_end():
    assert shift(datetime(2023, 3, 31, tzinfo=UTC), -1, "MONTH") == datetime(
        2023, 2, 28, tzinfo=UTC
    )


# -- hostile patterns and the row cap -----------------------------------------------------------
# Before: every * became .* in a database regex ("**********#": 2 s per row of 35
# characters, hours per row of this length), and limit ≤ 0 answered every row.
EVER = {"startDate": "1970-01-01T00:00:00Z", "endDate": "now"}
LONG_NAME = "x" * 100


@pytest.mark.timeout(60)
def test_star_run_entity_pattern_cannot_stall_the_alerts_query(api):
    make_alert(entity=LONG_NAME)
    hit = make_alert(entity=LONG_NAME + "#")
    for query in ({"entity": "**********#"}, {"entities": ["*.*.*prod*", "**********#"]}):
        response = api(QUERY, [{**query, **EVER}])
        assert [item["id"] for item in response.json()] == [hit.pk]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("field", ["rule", "rules", "metric", "entity"])
def test_star_run_patterns_cannot_stall_the_history_query(api, field):
    column = field.removesuffix("s")
    make_history(alert="miss", **{column: LONG_NAME})
    make_history(alert="hit", **{column: LONG_NAME + "#"})
    pattern = ["**********#"] if field == "rules" else "**********#"
    query = {"entity": "*", **EVER, field: pattern}
    response = api(HISTORY, [query])
    assert [item["alert"] for item in response.json()] == ["hit"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"entity": "a" * 11}, "Query 0: 'entity': pattern 'aaaaaaaaaaa' is 11 characters"),
        ({"entity": "*", "rules": ["ok", "b" * 11]}, "Query 0: 'rules': pattern 'bbb"),
        ({"entities": ["c" * 12]}, "Query 0: 'entities': pattern 'ccc"),
    ],
)
def test_patterns_over_the_length_limit_are_400_naming_the_field(api, pattern_limit, query,
                                                                 message):  # fmt: skip
    pattern_limit(10)
    response = api(QUERY, [{**query, **EVER}])
    assert response.status_code == 400
    assert response.json()["error"].startswith(message)
    assert "the limit is 10 (WILDCARD_PATTERN_MAX_LENGTH)" in response.json()["error"]


@pytest.mark.parametrize("limit", [0, -1, 1_000_000_000])
def test_unlimited_alerts_query_cannot_dump_every_row(api, settings, limit):
    settings.API_MAX_PAGE_SIZE = 3
    for i in range(5):
        make_alert(entity=f"e{i}", open_date=datetime(2018, 1, 1 + i, tzinfo=UTC))
    response = api(QUERY, [{"entity": "*", "limit": limit, **EVER}])
    assert [item["entity"] for item in response.json()] == ["e4", "e3", "e2"]
    assert response["X-Max-Page-Size"] == "3"
    assert response["X-Result-Truncated"] == "true"


def test_the_row_cap_is_shared_by_the_queries_of_one_request(api, settings):
    settings.API_MAX_PAGE_SIZE = 3
    for i in range(3):
        make_alert(entity=f"e{i}", open_date=datetime(2018, 1, 1 + i, tzinfo=UTC))
    one = {"entity": "*", **EVER}
    response = api(QUERY, [{**one, "limit": 2}, one])
    assert [item["entity"] for item in response.json()] == ["e2", "e1", "e2"]
    assert response["X-Result-Truncated"] == "true"
    within = api(QUERY, [{**one, "limit": 2}])
    assert len(within.json()) == 2
    assert within["X-Result-Truncated"] == "false"  # the client's own limit cut it


def test_unlimited_history_query_cannot_dump_every_row(api, settings):
    settings.API_MAX_PAGE_SIZE = 2
    for i in range(3):
        make_history(date=datetime(2020, 1, 1, 0, i, tzinfo=UTC), alert=f"h{i}")
    response = api(HISTORY, [{"entity": "*", "limit": 0, **EVER}])
    assert [item["alert"] for item in response.json()] == ["h2", "h1"]
    assert response["X-Result-Truncated"] == "true"
    nothing = api(HISTORY, [{"entity": "h*", "limit": 0, **EVER}])  # no row matches
    assert nothing.json() == []
    assert nothing["X-Result-Truncated"] == "false"
