"""``queryConfig``, ``queryGet`` and ``queryPost`` for notification texts: the
``WebQueries`` (rules.expressions.context) a rendering gets when the server enables
them (``RULE_WEB_QUERIES_ENABLED``, off by default: they reach the network).

Bounds: every request has ``RULE_WEB_QUERY_TIMEOUT`` seconds to connect and as many
to answer, redirects are not followed, and an answer over ``RULE_WEB_QUERY_MAX_BYTES``
is an error. ``queryConfig`` uses the endpoint's proxy and TLS settings and keeps its
secrets out of error messages (notifications.channels.http).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from urllib.parse import urlsplit

from django.conf import settings

from notifications.channels.http import HttpClient, HttpResult, HttpSettings, NetworkError
from notifications.models import Endpoint
from rules.expressions.errors import EvaluationError
from rules.expressions.values import Record

_NAME = re.compile(r"\$\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}")


def _substitute(text: str, params: Mapping[str, str]) -> str:
    """``${name}`` replaced by ``params[name]``; other placeholders stay as written."""
    return _NAME.sub(lambda m: params.get(m.group(1), m.group(0)), text)


def _headers(text: str) -> dict[str, str]:
    """``Name: value`` lines as headers (blank and malformed lines skipped)."""
    headers = {}
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if sep and name.strip():
            headers[name.strip()] = value.strip()
    return headers


def _answer(result: HttpResult) -> Record:
    limit = int(settings.RULE_WEB_QUERY_MAX_BYTES)
    if len(result.body_text.encode("utf-8")) > limit:
        raise EvaluationError(f"the answer is over RULE_WEB_QUERY_MAX_BYTES ({limit:,} bytes)")
    return Record(
        content=result.body_text,
        status=result.status,
        headers=dict(result.headers),
        duration=round(result.elapsed_ms),
    )


class EndpointQueries:
    """``WebQueries`` over HTTP, bounded as the module says."""

    def _settings(self, base: HttpSettings | None = None) -> HttpSettings:
        timeout = float(settings.RULE_WEB_QUERY_TIMEOUT)
        return replace(base or HttpSettings(), connect_timeout_s=timeout, read_timeout_s=timeout)

    def _send(
        self,
        client: HttpClient,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: str | None,
    ) -> Record:
        if urlsplit(url).scheme not in ("http", "https"):
            raise EvaluationError(f"only http and https URLs can be queried, not {url!r}")
        try:
            data = None if body is None else body.encode("utf-8")
            return _answer(client.request(method, url, headers=headers, data=data))
        except NetworkError as exc:
            raise EvaluationError(f"{method} query failed: {exc.message}") from None
        finally:
            client.close()

    def config(self, endpoint: str, params: Mapping[str, str]) -> Record:
        found = Endpoint.objects.filter(name=endpoint).first()
        if found is None or not found.enabled:
            raise EvaluationError(f"queryConfig(): no enabled endpoint named {endpoint!r}")
        values = found.parameter_values()
        url = _substitute(values.get("url") or found.base_url, params)
        body = _substitute(values["body"], params) if values.get("body") else None
        method = (values.get("method") or ("POST" if body is not None else "GET")).upper()
        headers = _headers(_substitute(values.get("headers", ""), params))
        content_type = values.get("content_type") or values.get("contentType")
        if content_type:
            headers.setdefault("Content-Type", content_type)
        secrets = [values[key] for key in found.secret_keys() if values.get(key)]
        client = HttpClient(self._settings(found.http_settings()), secrets=secrets)
        return self._send(client, method, url, headers, body)

    def get(self, url: str, headers: Mapping[str, str]) -> Record:
        return self._send(HttpClient(self._settings()), "GET", url, headers, None)

    def post(self, url: str, body: str, headers: Mapping[str, str]) -> Record:
        return self._send(HttpClient(self._settings()), "POST", url, headers, body)
