"""Loading the rendering fixtures (tests/fixtures/rendering): trigger snapshots and cases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from notifications.rendering import RenderInfo
from rules.contract.triggers import TriggerSnapshot, decode_trigger

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "rendering"


def load_json(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def load_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8").rstrip("\n")


def trigger(name: str, overrides: dict[str, Any] | None = None) -> TriggerSnapshot:
    """A ``TriggerSnapshot`` from ``triggers/<name>.json`` with ``overrides`` applied."""
    data = load_json(f"triggers/{name}.json")
    data.update(overrides or {})
    return decode_trigger(data)


def info(data: dict[str, Any] | None = None, **extra: Any) -> RenderInfo:
    return RenderInfo(**{**(data or {}), **extra})
