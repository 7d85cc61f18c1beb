"""Fixture files for binding tests: our own ``<webNotification>`` elements in ATSD's format."""

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "bindings"


def read_fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")
