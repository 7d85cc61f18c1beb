"""POST /api/v1/command and /api/v1/series/insert with a real worker on real Redis."""

import base64
import gzip

import pytest

from atsd_alerts.models import ApiToken
from rules.models import Entity, Metric
from tests.db_refusals import refusing
from tests.engine_helpers import make_rule, poll, window_sizes

pytestmark = pytest.mark.integration


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def capture(*metrics: str) -> None:
    """Rules that keep every sample of ``metrics`` in windows the test can count."""
    for metric in metrics:
        make_rule(f"capture-{metric}", metric, "false", "length(100000)")


def wait_for_events(expected: int, timeout: float = 20.0) -> int:
    def arrived():
        total = sum(sum(window_sizes(f"capture-{m}").values()) for m in CAPTURED)
        return total if total >= expected else 0

    try:
        return poll(arrived, timeout, f"{expected} samples in the engine")
    except AssertionError:
        return sum(sum(window_sizes(f"capture-{m}").values()) for m in CAPTURED)


CAPTURED = ("cpu_busy", "m1", "property", "cpu")


@pytest.fixture
def captured(engine_worker):
    capture(*CAPTURED)
    return engine_worker


BAD_LINES = [
    ("series m:cpu=1", "entity"),  # no entity
    ("series e:s m:t=1,5", "number"),  # bad number
    ('series e:s m:t=1 t:name="unterminated', "quote"),  # unterminated quote
    ("unknown_command e:s m:t=1", "unknown command"),
    ("series e:s m:big=1 t:pad=" + "x" * 200_000, "limit"),  # a 200 KB line
    ("series e:s m:t=5 ms:-5", "1970"),  # before 1970
    ("series e:s m:t=5 d:2016-13-01T00:00:00Z", ""),  # bad date
    ("series e:station_1", "m:"),  # no metric
    ("series e:s m:t=5 z:what", "z"),  # unknown prefix
    ("property e:e1 t:cfg", "v:"),  # property without tags
]


def test_a_thousand_good_lines_and_ten_bad_ones(client, collector, captured):
    lines = []
    bad_numbers = {}
    for i in range(1010):
        if i % 101 == 50:
            text, hint = BAD_LINES[len(bad_numbers)]
            lines.append(text)
            bad_numbers[i + 1] = hint
        else:
            lines.append(
                f"series e:host-{i % 7} m:cpu_busy={i % 100} t:dc=eu ms:{1_700_000_000_000 + i}"
            )
    assert len(bad_numbers) == 10
    response = client.post(
        "/api/v1/command",
        "\n".join(lines),
        content_type="text/plain",
        HTTP_AUTHORIZATION=basic("collector", "pw-collector"),
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["success"], body["fail"], body["total"]) == (1000, 10, 1010)
    assert [error["line"] for error in body["errors"]] == sorted(bad_numbers)
    for error in body["errors"]:
        assert bad_numbers[error["line"]].lower() in error["reason"].lower(), error
    assert wait_for_events(1000) == 1000
    assert Entity.objects.filter(name__startswith="host-").count() == 7
    assert Metric.objects.filter(name="cpu_busy").exists()


def test_spec_row_1_counts_a_failed_line(client, collector, captured):
    body = "series e:e1 m:m1=1\nseries e:e1\nproperty e:e1 t:t v:a=b\n"
    response = client.post(
        "/api/v1/command", body, content_type="text/plain",
        HTTP_AUTHORIZATION=basic("collector", "pw-collector"),
    )  # fmt: skip
    assert response.status_code == 200
    body = response.json()
    assert (body["fail"], body["success"], body["total"]) == (1, 2, 3)
    assert body["errors"][0]["line"] == 2
    assert wait_for_events(2) == 2


def test_gzip_bodies_are_accepted(client, collector, captured):
    payload = gzip.compress(b"series e:gz m:cpu=1\nseries e:gz m:cpu=2\n")
    response = client.post(
        "/api/v1/command", payload, content_type="text/plain",
        HTTP_CONTENT_ENCODING="gzip", HTTP_AUTHORIZATION=basic("collector", "pw-collector"),
    )  # fmt: skip
    assert response.json()["success"] == 2
    assert wait_for_events(2) == 2


def test_a_broken_gzip_body_is_a_clear_400(client, collector):
    response = client.post(
        "/api/v1/command", b"not gzip at all", content_type="text/plain",
        HTTP_CONTENT_ENCODING="gzip", HTTP_AUTHORIZATION=basic("collector", "pw-collector"),
    )  # fmt: skip
    assert response.status_code == 400
    assert "gzip" in response.json()["error"]


def test_api_tokens_authenticate_as_their_user(client, collector, captured):
    _token, raw = ApiToken.issue(collector, "script")
    response = client.post(
        "/api/v1/command", "series e:tok m:cpu=1", content_type="text/plain",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )  # fmt: skip
    assert response.json()["success"] == 1


@pytest.mark.django_db
def test_bad_credentials_get_401_and_operators_403(client, operator):
    response = client.post(
        "/api/v1/command", "series e:x m:y=1", content_type="text/plain",
        HTTP_AUTHORIZATION=basic("collector", "wrong"),
    )  # fmt: skip
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic")
    response = client.post(
        "/api/v1/command", "series e:x m:y=1", content_type="text/plain",
        HTTP_AUTHORIZATION=basic("oscar", "pw-oscar"),
    )  # fmt: skip
    assert response.status_code == 403


def test_spec_row_2_series_insert_with_null_is_nan(client, collector, captured):
    response = client.post(
        "/api/v1/series/insert",
        '[{"entity":"e1","metric":"m1","data":[{"t":1462427358127,"v":null}]}]',
        content_type="application/json",
        HTTP_AUTHORIZATION=basic("collector", "pw-collector"),
    )
    assert response.status_code == 200
    assert response.content == b""
    assert wait_for_events(1) == 1


@pytest.mark.django_db
def test_spec_row_3_series_insert_with_empty_entity(client, collector):
    response = client.post(
        "/api/v1/series/insert",
        '[{"entity":"","metric":"m1","data":[{"t":1462427358127,"v":1}]}]',
        content_type="application/json",
        HTTP_AUTHORIZATION=basic("collector", "pw-collector"),
    )
    assert response.status_code == 400
    assert response.json() == {"error": "IllegalArgumentException: Empty entity."}


@pytest.mark.django_db
def test_series_insert_with_broken_json_keeps_atsd_500(client, collector):
    response = client.post(
        "/api/v1/series/insert", "[{", content_type="application/json",
        HTTP_AUTHORIZATION=basic("collector", "pw-collector"),
    )  # fmt: skip
    assert response.status_code == 500
    assert response.json()["error"].startswith("JsonParseException")


@pytest.mark.django_db
def test_disabled_entities_never_reach_the_engine(client, collector, monkeypatch):
    from rules.ingest import pipeline
    from rules.ingest.names import names

    Entity.objects.create(name="quiet", enabled=False)
    names.forget()
    sent = []
    monkeypatch.setattr(pipeline, "submit", lambda events: sent.extend(events) or 1)
    client.post(
        "/api/v1/command", "series e:quiet m:cpu=1\nseries e:loud m:cpu=1",
        content_type="text/plain", HTTP_AUTHORIZATION=basic("collector", "pw-collector"),
    )  # fmt: skip
    assert [event.entity for event in sent] == ["loud"]


# --- hostile and careless input ------------------------------------------------------


def post_command(client, body, path="/api/v1/command", content_type="text/plain", **headers):
    auth = basic("collector", "pw-collector")
    return client.post(path, body, content_type=content_type, HTTP_AUTHORIZATION=auth, **headers)


def test_long_entity_name_between_two_good_lines_is_one_failed_line(client, collector, captured):
    body = f"series e:good1 m:cpu=1\nseries e:{'z' * 600} m:cpu=2\nseries e:good2 m:cpu=3\n"
    response = post_command(client, body)
    assert response.status_code == 200
    answer = response.json()
    assert (answer["success"], answer["fail"], answer["total"]) == (2, 1, 3)
    assert answer["errors"][0]["line"] == 2
    assert "entity name is 600 characters, the limit is 512" in answer["errors"][0]["reason"]
    assert wait_for_events(2) == 2
    assert sorted(Entity.objects.values_list("name", flat=True)) == ["good1", "good2"]


def test_a_line_the_database_refuses_fails_alone_and_the_rest_lands(client, collector, captured):
    with refusing("rules_entity", "name", "poison"):
        response = post_command(
            client, "series e:good1 m:cpu=1\nseries e:poison m:cpu=2\nseries e:good2 m:cpu=3\n"
        )
    assert response.status_code == 200
    answer = response.json()
    assert (answer["success"], answer["fail"]) == (2, 1)
    assert answer["errors"][0]["line"] == 2
    assert answer["errors"][0]["reason"].startswith("refused by the database: ")
    assert wait_for_events(2) == 2


def test_a_stray_quote_costs_one_line_over_http(client, collector, captured):
    lines = [f"series e:q m:cpu={i}" for i in range(10)]
    lines += ['series e:q m:cpu=99 t:note="unbalanced']
    lines += [f"series e:q m:cpu={i}" for i in range(10, 20)]
    answer = post_command(client, "\n".join(lines) + "\n").json()
    assert (answer["success"], answer["fail"]) == (20, 1)
    assert answer["errors"][0]["line"] == 11
    assert wait_for_events(20) == 20


def test_every_member_of_a_multi_member_gzip_body_is_read(client, collector, captured):
    payload = gzip.compress(b"series e:gz m:cpu=1\n") + gzip.compress(b"series e:gz m:cpu=2\n")
    answer = post_command(client, payload, HTTP_CONTENT_ENCODING="gzip").json()
    assert answer["success"] == 2
    assert wait_for_events(2) == 2


@pytest.mark.django_db
def test_gzip_bomb_is_refused_with_413(client, collector, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    bomb = gzip.compress(b"series e:a m:cpu=1\n" * (2 * 1024 * 1024))  # 40 MiB in ~100 KiB
    response = post_command(client, bomb, HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 413
    assert "inflates to more than the limit of 1048576 bytes" in response.json()["error"]


@pytest.mark.django_db
def test_a_body_over_the_limit_is_refused_with_413(client, collector, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = post_command(client, "series e:a m:cpu=1\n" * 100)
    assert response.status_code == 413


@pytest.mark.django_db
def test_two_megabytes_of_bad_lines_get_a_short_answer_read_up_to_the_cap(client, collector):
    response = post_command(client, b"x\n" * (1024 * 1024))
    assert response.status_code == 200
    answer = response.json()
    assert (answer["fail"], answer["success"]) == (10_000, 0)
    assert len(answer["errors"]) == 1000
    assert answer["errors_not_listed"] == 10_000 - 1000
    assert answer["stopped"].startswith("reading stopped at line 10000 after 10000 failed lines")
    assert len(response.content) < 200_000


@pytest.mark.django_db
def test_series_insert_refuses_a_name_longer_than_its_column(client, collector):
    document = f'[{{"entity":"{"z" * 600}","metric":"m1","data":[{{"t":1462427358127,"v":1}}]}}]'
    response = post_command(client, document, "/api/v1/series/insert", "application/json")
    assert response.status_code == 400
    assert response.json()["error"] == (
        "IllegalArgumentException: item 0.entity: entity name is 600 characters, the limit is 512."
    )


def test_series_insert_reads_gzip_bodies(client, collector, captured):
    payload = gzip.compress(b'[{"entity":"e1","metric":"m1","data":[{"t":1462427358127,"v":2}]}]')
    response = post_command(
        client, payload, "/api/v1/series/insert", "application/json", HTTP_CONTENT_ENCODING="gzip"
    )
    assert response.status_code == 200
    assert wait_for_events(1) == 1
