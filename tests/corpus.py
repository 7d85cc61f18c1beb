"""The ATSD exports in ``../shared/fixtures``: third-party data the tests read in place.

A test that needs a corpus file skips when it is missing on a developer's machine and
fails under CI (``CI`` set), where a skip would prove nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"


def corpus_file(path: Path) -> Path:
    """``path`` when it exists; else a skip, or a failure under CI."""
    if path.is_file():
        return path
    message = f"corpus file {path} not found"
    if os.environ.get("CI"):
        pytest.fail(f"{message} (required when CI is set)")
    pytest.skip(message)
