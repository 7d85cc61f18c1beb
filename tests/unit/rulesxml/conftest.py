"""Fixture files for rules.xml tests: our own documents in ATSD's format."""

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "rulesxml"


def read_fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def fixture_bytes():
    """``fixture_bytes("message_rule.xml")`` → the file's bytes."""
    return read_fixture
