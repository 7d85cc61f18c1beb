"""POST data of endpoint forms, for the kinds' form tests."""

from __future__ import annotations

from typing import Any

from notifications.channels.form import EndpointForm
from notifications.models import Endpoint

#: The fields every endpoint form has, blank.
COMMON = {
    "enabled": "true", "description": "", "base_url": "", "proxy_url": "",
    "proxy_username": "", "proxy_password": "", "ca_bundle": "", "test_portal": "",
}  # fmt: skip


def post_data(name: str, parameters: dict[str, str], **overrides: str) -> dict[str, str]:
    """A form's POST data: ``COMMON``, the name, ``param_<key>`` values, then ``overrides``."""
    data = {**COMMON, "name": name, **{f"param_{k}": v for k, v in parameters.items()}}
    data.update(overrides)
    return data


def bound(form_class: type[EndpointForm], data: dict[str, str], instance: Any = None) -> Any:
    """``form_class`` bound to ``data`` for ``instance`` (a new endpoint of its kind)."""
    return form_class(data, instance=instance or Endpoint(kind=form_class.kind))
