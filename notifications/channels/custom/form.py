"""The CUSTOM endpoint form (spec §7.5): method, content type, URL, headers and body
with placeholders, authentication; the rule keys (each ``${…}`` of the URL and body, a
form body's fields) become parameters rules set, kept with their stored values."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from django import forms

from notifications.channels.custom.request import (
    AUTH_TYPES,
    CONTENT_TYPES,
    JSON,
    METHODS,
    form_field_names,
    rule_keys,
)
from notifications.channels.form import EndpointForm, ParameterSpec, token_field

_PLACEHOLDER = re.compile(r"\$\{[^{}]+\}")
BODY_HELP = "Body only for POST, PUT, PATCH; otherwise form fields become the query string."
URL_HELP = "Placeholders are URL-encoded: https://api.example.org/items/${entity}."
HEADERS_HELP = "One 'Name: value' per line (API tokens go here)."
BODY_TEXT_HELP = "JSON (placeholder values JSON-escaped) or name=value&… form fields."
PASSWORD_HELP = "BASIC password, or the AWS secret access key."  # noqa: S105 - help text
AWS_HELP = "For AWS_SIGNATURE_V4; blank = from the <service>.<region>.amazonaws.com host."
LINK_TYPE_HELP = "ATSD's linkType (NONE in its exports): kept for export, not used in sending."


def _choice(label: str, choices: tuple[str, ...], help_text: str = "") -> Any:
    return lambda: forms.ChoiceField(
        label=label, choices=[(c, c) for c in choices], help_text=help_text
    )


def _text(label: str, help_text: str, *, rows: int = 0, required: bool = False) -> Any:
    widget = forms.Textarea(attrs={"rows": rows}) if rows else None
    return lambda: forms.CharField(
        label=label, required=required, widget=widget, help_text=help_text, strip=False
    )


def json_body_problem(body: str) -> str:
    """Why ``body`` would not be JSON once its placeholders are filled ("" when it would)."""
    if not body.strip():
        return ""
    try:
        json.loads(_PLACEHOLDER.sub("0", body))
    except ValueError as exc:
        return f"the body is not JSON: {exc}"
    return ""


class CustomEndpointForm(EndpointForm):
    """Any HTTP API, one request per notification."""

    kind = "CUSTOM"
    parameter_specs = (
        ParameterSpec("method", _choice("Method", METHODS, BODY_HELP), default="POST"),
        ParameterSpec("content_type", _choice("Content Type", CONTENT_TYPES), default=JSON),
        ParameterSpec("url", _text("URL", URL_HELP, required=True)),
        ParameterSpec("headers", _text("Headers", HEADERS_HELP, rows=3)),
        ParameterSpec("body", _text("Body", BODY_TEXT_HELP, rows=8)),
        ParameterSpec("auth_type", _choice("Authentication", AUTH_TYPES), default="NONE"),
        ParameterSpec("username", _text("Username", "BASIC user, or the AWS access key id.")),
        ParameterSpec("password", token_field("Password", PASSWORD_HELP)),
        ParameterSpec("aws_region", _text("AWS Region", AWS_HELP)),
        ParameterSpec("aws_service", _text("AWS Service", AWS_HELP)),
        ParameterSpec("link_type", _text("Link Type", LINK_TYPE_HELP)),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["base_url"].help_text = "Not used: the URL below is the request's."

    @classmethod
    def validate_parameters(
        cls, values: Mapping[str, str], *, require_secrets: bool = True
    ) -> dict[str, str]:
        errors: dict[str, str] = {}
        url = values.get("url", "").strip()
        # A URL may come whole from a placeholder (${ENV.NOTIFY_URL}); it is checked when sent.
        if not re.match(r"(?i)https?://[^/\s]|\$\{", url):
            errors["url"] = "URL must start with http:// or https:// and a host, or a placeholder."
        if values.get("method", "POST") not in METHODS:
            errors["method"] = f"Method must be one of {', '.join(METHODS)}."
        if values.get("content_type", JSON) not in CONTENT_TYPES:
            errors["content_type"] = "Content Type must be JSON or a form."
        auth = values.get("auth_type", "NONE") or "NONE"
        if auth not in AUTH_TYPES:
            errors["auth_type"] = f"Authentication must be one of {', '.join(AUTH_TYPES)}."
        elif auth != "NONE" and not values.get("username"):
            errors["username"] = f"{auth} needs a username (the AWS access key id for SigV4)."
        return errors

    @classmethod
    def parameter_warnings(cls, values: Mapping[str, str]) -> list[str]:
        if values.get("content_type", JSON) != JSON:
            return []
        problem = json_body_problem(values.get("body", ""))
        return [problem] if problem else []

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        add_rule_keys(self.instance, self.instance.parameter_values() if self.instance.pk else {})
        return cleaned


def add_rule_keys(
    endpoint: Any, stored: Mapping[str, str], exposed: set[str] | None = None
) -> None:
    """Append the request's rule keys to ``endpoint``'s parameters, editable, keeping
    ``stored`` values; a form field is editable only when ``exposed`` names it (an
    import), placeholders always are (spec §7.5)."""
    values = endpoint.parameter_values()
    rows = [(p["key"], p["value"], p["editable"]) for p in endpoint.parameters]
    known = {key for key, _, _ in rows}
    content_type = values.get("content_type") or JSON
    url, body = values.get("url", ""), values.get("body", "")
    form_names = form_field_names(body, content_type)
    for key in rule_keys(url, body, content_type):
        if key in known:
            continue
        editable = key not in form_names or exposed is None or key in exposed
        rows.append((key, stored.get(key, ""), editable))
    endpoint.set_parameters(rows)
