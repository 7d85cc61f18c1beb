"""queryConfig, queryGet and queryPost (spec §4.6 MAY): HTTP from notification texts,
against a server on loopback; off unless RULE_WEB_QUERIES_ENABLED."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from notifications.delivery.web_queries import EndpointQueries
from notifications.models import Endpoint
from notifications.rendering import render_message
from rules.expressions.errors import EvaluationError
from tests.unit.expressions.helpers import ev
from tests.unit.rendering.fixtures import info, trigger


class _Echo(BaseHTTPRequestHandler):
    """Answers every request with what it received, as JSON (a huge body on /huge)."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        if self.path == "/huge":
            payload = b"x" * 5000
        else:
            payload = json.dumps(
                {"method": self.command, "path": self.path, "body": body,
                 "auth": self.headers.get("Authorization"),
                 "type": self.headers.get("Content-Type")}
            ).encode()  # fmt: skip
        self.send_response(201 if self.command == "POST" else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def echo() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def queries(settings) -> EndpointQueries:
    settings.RULE_WEB_QUERY_TIMEOUT = 2
    settings.RULE_WEB_QUERY_MAX_BYTES = 1000
    return EndpointQueries()


def run(text: str, queries: EndpointQueries, **names: object) -> object:
    return ev(text, {"web_queries": queries, **names})


@pytest.mark.django_db
def test_query_config_sends_the_request_the_endpoint_describes(echo, queries):
    endpoint = Endpoint(name="gh-graphql", kind="HIPCHAT", base_url=echo)
    endpoint.set_parameters(
        [("url", echo + "/graphql", False), ("method", "POST", False),
         ("headers", "Authorization: bearer T0KEN", False),
         ("content_type", "application/json", False),
         ("body", '{"query": "${GQL_query}"}', False)]
    )  # fmt: skip
    endpoint.save()
    answer = run("queryConfig('gh-graphql', ['GQL_query': 'issues'])", queries)
    assert answer.expression_member("status") == 201
    sent = json.loads(answer.expression_member("content"))
    assert sent == {"method": "POST", "path": "/graphql", "body": '{"query": "issues"}',
                    "auth": "bearer T0KEN", "type": "application/json"}  # fmt: skip
    assert answer.expression_member("duration") >= 0


@pytest.mark.django_db
def test_query_config_needs_an_enabled_endpoint(queries):
    with pytest.raises(EvaluationError, match="no enabled endpoint named 'nope'"):
        run("queryConfig('nope')", queries)


def test_query_get_and_post(echo, queries):
    got = json.loads(run("queryGet(u + '/x?a=1').content", queries, u=echo))
    assert (got["method"], got["path"]) == ("GET", "/x?a=1")
    posted = run("queryPost(u, 'hello', ['Content-Type': 'text/plain'])", queries, u=echo)
    assert json.loads(posted.expression_member("content"))["body"] == "hello"
    assert posted.expression_member("headers")["Content-Type"] == "application/json"


def test_answers_are_bounded_and_failures_are_errors(echo, queries):
    with pytest.raises(EvaluationError, match="over RULE_WEB_QUERY_MAX_BYTES"):
        run("queryGet(u + '/huge')", queries, u=echo)
    with pytest.raises(EvaluationError, match="GET query failed"):
        run("queryGet('http://127.0.0.1:1/')", queries)
    with pytest.raises(EvaluationError, match="only http and https"):
        run("queryGet('file:///etc/passwd')", queries)


@pytest.mark.django_db
def test_queries_are_off_unless_enabled():
    result = render_message("${queryGet('http://127.0.0.1:1/')}", trigger("jvm_open"), info(),
                            now_ms=0)  # fmt: skip
    assert result.text == "${queryGet('http://127.0.0.1:1/')}"
    [error] = result.errors
    assert "RULE_WEB_QUERIES_ENABLED=true" in error.message
    with pytest.raises(EvaluationError, match="only in notification texts"):
        ev("queryPost('http://127.0.0.1:1/', '')")
