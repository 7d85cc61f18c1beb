"""WEBHOOK endpoints for tests."""

from __future__ import annotations

from typing import Any

from notifications.models import Endpoint

SECRET = "s3cret-hook"


def make_webhook(
    url: str = "https://hooks.example.org/atsd", *, name: str = "hook", **params: str
) -> Endpoint:
    """A saved WEBHOOK endpoint at ``url`` (JSON, signed with :data:`SECRET`)."""
    values: dict[str, Any] = {"content_type": "application/json", "secret": SECRET, **params}
    endpoint = Endpoint(name=name, kind="WEBHOOK", base_url=url)
    endpoint.set_parameters((key, value, False) for key, value in values.items())
    endpoint.full_clean()
    endpoint.save()
    return endpoint
