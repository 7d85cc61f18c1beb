"""TCP and HTTP accept exactly the same lines: one splitter, one parser, one answer.

The same random mix of good and bad lines goes to ``POST /api/v1/command`` and over a
TCP connection; what each hands off and which lines each reports failed must agree.
Both are captured where they leave ingestion, at the hand-off.
"""

import logging
import socket
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from atsd_alerts.models import ApiToken
from rules.ingest import api
from rules.ingest.pipeline import HandOffResult
from rules.ingest.tcp import CommandListener, ListenerThread

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

LINES = [
    b"series e:good m:cpu=1",
    b"series e:good m:cpu=2 t:dc=eu",
    b'message e:good t:type=note m:"two\nlines"',
    b'series e:good m:cpu=3 t:n="a\nb"',
    b"series e:bad m:cpu=x",
    b'series e:stray m:cpu=1 t:n="open',
    b'message e:stray m:"x\nseries e:w m:cpu=5"',
    b"series e:" + b"z" * 600 + b" m:cpu=1",
    b"series e:a m:cpu=1 t:pad=" + b"p" * 2100,
    b'message e:nul m:"a\x00b"',
    b"bogus e:x",
    b"series e:\xff m:cpu=1",
    b"debugger e:x",
    b"",
    b"   ",
    b'"',
    b"property e:p t:cfg k:k=v v:a=b",
]


class Captured:
    def __init__(self) -> None:
        self.events: list = []
        self.lock = threading.Lock()

    def __call__(self, events, commands=None) -> HandOffResult:
        with self.lock:
            self.events.extend(events)
        return HandOffResult()

    def take(self) -> list:
        with self.lock:
            taken, self.events = self.events, []
        return [(e.kind, e.entity, e.metric, e.tags, e.value, e.text) for e in taken]


def over_tcp(port: int, body: bytes) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(body)
        sock.shutdown(socket.SHUT_WR)
        while sock.recv(4096):  # the server closes after it has handed everything off
            pass


@pytest.fixture
def tcp_listener():
    hand = Captured()
    thread = ListenerThread(CommandListener(hand, disconnect_on_error=False, flush_ms=10))
    thread.start()
    yield thread.port, hand
    thread.stop()


ENDINGS = [b"\n", b"\r\n"]


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    picks=st.lists(st.tuples(st.sampled_from(LINES), st.sampled_from(ENDINGS)), max_size=25),
    last_newline=st.booleans(),
)
def test_tcp_and_http_accept_the_same_lines(
    picks, last_newline, client, collector, tcp_listener, monkeypatch, caplog
):
    port, tcp_hand = tcp_listener
    http_hand = Captured()
    monkeypatch.setattr(api, "hand_off", http_hand)
    _token, raw = ApiToken.issue(collector, "agree")
    body = b"".join(line + end for line, end in picks)
    if picks and not last_newline:
        body = body[: -len(picks[-1][1])]

    response = client.post(
        "/api/v1/command", body, content_type="text/plain", HTTP_AUTHORIZATION=f"Bearer {raw}"
    )
    answer = response.json()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="rules.ingest.tcp"):
        over_tcp(port, body)
    tcp_failed = [
        record.args[1] for record in caplog.records if record.msg.startswith("invalid command from")
    ]

    assert tcp_hand.take() == http_hand.take()
    assert tcp_failed == [error["line"] for error in answer["errors"]]
    assert answer["fail"] == len(tcp_failed)
