"""A CUSTOM endpoint's request as templates, and how one trigger fills them (spec §7.5,
§5.1, §2.3).

The endpoint's fixed settings are :data:`SETTINGS`. Its *rule keys* are the names of
the ``${…}`` placeholders in the URL and the body and, for a form body, the names of its
fields: each is a parameter a rule may set (``incident_name``, ``service_id``,
``detailsTable('ascii')``, ``MessageBody``). A rule's value is itself a template; an
empty one leaves the placeholder to evaluate as written (``${detailsTable('ascii')}``,
``${status}``) and a form field to keep the endpoint's value.

Values land escaped for where they go: URL-encoded in the URL, JSON-string-escaped in a
JSON body, form-encoded in a form body, without line breaks in headers. The template
text itself is never changed. Legacy ``${htmlDetailsTable}``-style names mean
``detailsTable('html')`` and the like.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import parse_qsl, quote, urlencode

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
CONTENT_TYPES = (JSON, FORM)
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
AUTH_TYPES = ("NONE", "BASIC", "AWS_SIGNATURE_V4")
#: The endpoint's own settings, in form order; every other parameter is a rule key.
SETTINGS = (
    "method", "content_type", "url", "headers", "body", "auth_type", "username", "password",
    "aws_region", "aws_service", "link_type",
)  # fmt: skip
LEGACY_TABLES = {
    "asciiDetailsTable": "detailsTable('ascii')",
    "markdownDetailsTable": "detailsTable('markdown')",
    "htmlDetailsTable": "detailsTable('html')",
}
_PLACEHOLDER = re.compile(r"\$\{([^{}]+)\}")
_ALIAS = "custom_rule_key_{}"

#: ``render(template, escape, values)``: the template rendered for the trigger with
#: ``values`` bound over its names and each placeholder's text passed through ``escape``.
Render = Callable[[str, Callable[[str], str] | None, Mapping[str, str]], str]


def form_fields(body: str) -> list[tuple[str, str]]:
    """The ``name=value`` fields of a form body, decoded, in order."""
    return parse_qsl(body.strip(), keep_blank_values=True)


def placeholders(text: str) -> list[str]:
    """The ``${…}`` expressions of ``text`` in order, each once."""
    return list(dict.fromkeys(m.group(1).strip() for m in _PLACEHOLDER.finditer(text)))


def template_texts(url: str, body: str, content_type: str) -> list[str]:
    """The texts whose placeholders are rule keys: the URL and the body (a form's values)."""
    if content_type == FORM:
        return [url, *(value for _, value in form_fields(body))]
    return [url, body]


def rule_keys(url: str, body: str, content_type: str) -> list[str]:
    """Every rule key of a request, placeholders first, then a form body's field names."""
    keys = [key for text in template_texts(url, body, content_type) for key in placeholders(text)]
    if content_type == FORM:
        keys += [name for name, _ in form_fields(body)]
    return [k for k in dict.fromkeys(keys) if k not in SETTINGS]


def form_field_names(body: str, content_type: str) -> set[str]:
    return {name for name, _ in form_fields(body)} if content_type == FORM else set()


def _json_escape(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)[1:-1]


def _url_escape(text: str) -> str:
    return quote(text, safe="")


def _header_escape(text: str) -> str:
    return re.sub(r"[\r\n]+", " ", text)


class _Filler:
    """Renders the templates of one request with the rule's values for its keys."""

    def __init__(self, parameters: Mapping[str, str], render: Render, used: set[str]) -> None:
        self.render = render
        self.values: dict[str, str] = {}
        self.aliases: dict[str, str] = {}
        for key, value in parameters.items():
            if key in SETTINGS or key not in used or not value:
                continue
            alias = _ALIAS.format(len(self.aliases))
            self.aliases[key] = alias
            self.values[alias] = render(value, None, {})

    def fill(self, template: str, escape: Callable[[str], str] | None) -> str:
        def substitute(match: re.Match[str]) -> str:
            key = match.group(1).strip()
            if key in self.aliases:
                return "${" + self.aliases[key] + "}"
            return "${" + LEGACY_TABLES.get(key, key) + "}"

        return self.render(_PLACEHOLDER.sub(substitute, template), escape, self.values)


def render_request(parameters: Mapping[str, str], render: Render) -> dict[str, str]:
    """``parameters`` with the URL, headers and body rendered for one trigger."""
    content_type = parameters.get("content_type", "") or JSON
    texts = template_texts(parameters.get("url", ""), parameters.get("body", ""), content_type)
    used = {key for text in [*texts, parameters.get("headers", "")] for key in placeholders(text)}
    filler = _Filler(parameters, render, used)
    rendered = dict(parameters)
    rendered["url"] = filler.fill(parameters.get("url", ""), _url_escape)
    rendered["headers"] = filler.fill(parameters.get("headers", ""), _header_escape)
    body = parameters.get("body", "")
    if content_type == FORM:
        fields: Iterable[tuple[str, str]] = (
            (name, filler.fill(parameters.get(name) or value, None))
            for name, value in form_fields(body)
        )
        rendered["body"] = urlencode(list(fields))
    else:
        rendered["body"] = filler.fill(body, _json_escape if content_type == JSON else None)
    return rendered


def header_lines(headers: str) -> list[tuple[str, str]]:
    """``Name: value`` lines as pairs; lines without a colon are ignored."""
    pairs = []
    for line in headers.splitlines():
        name, colon, value = line.partition(":")
        if colon and name.strip():
            pairs.append((name.strip(), value.strip()))
    return pairs
