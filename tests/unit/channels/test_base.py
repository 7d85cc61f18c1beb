"""The retry classification every channel shares: which answers are worth sending
again, and when."""

from __future__ import annotations

import email.utils

import pytest

from notifications.channels.base import HttpTransport, is_transient, parse_retry_after
from notifications.channels.http import HttpClient, HttpResult, HttpSettings

NOW = 1_700_000_000.0


def answer(status: int, body: str = "", **headers: str) -> HttpResult:
    return HttpResult(status=status, headers=headers, body_text=body, elapsed_ms=12.0)


def transport() -> HttpTransport:
    return HttpTransport(HttpClient(HttpSettings(), secrets=["tok-1"]), clock=lambda: NOW)


@pytest.mark.parametrize(
    ("status", "transient"),
    [(429, True), (500, True), (502, True), (503, True), (400, False), (401, False),
     (403, False), (404, False), (413, False)],
)  # fmt: skip
def test_only_429_and_5xx_are_worth_sending_again(status: int, transient: bool) -> None:
    assert is_transient(status) is transient

    error = transport().classify(answer(status))

    assert error is not None
    assert (error.permanent, error.status) == (not transient, status)


def test_a_2xx_is_accepted() -> None:
    assert transport().classify(answer(204)) is None
    assert transport().classify(answer(201, '{"id": 1}')) is None


def test_retry_after_counts_for_transient_answers_only() -> None:
    assert transport().classify(answer(503, **{"Retry-After": "7"})).retry_after_s == 7.0
    assert transport().classify(answer(429, **{"Retry-After": "2"})).retry_after_s == 2.0
    assert transport().classify(answer(400, **{"Retry-After": "7"})).retry_after_s is None
    assert transport().classify(answer(500)).retry_after_s is None


def test_retry_after_is_seconds_or_an_http_date() -> None:
    date = email.utils.formatdate(NOW + 90, usegmt=True)
    assert parse_retry_after(date, NOW) == pytest.approx(90)
    assert parse_retry_after("1.5", NOW) == 1.5
    assert parse_retry_after("-3", NOW) == 0.0
    assert parse_retry_after("soon", NOW) is None


def test_the_error_text_names_the_channel_and_hides_secrets() -> None:
    error = transport().classify(answer(400, "bad token tok-1"))

    assert error is not None
    assert error.message == "HTTP error: Received status code 400"
    assert error.response_text == "bad token [redacted]"
