"""Fixtures of the engine tests."""

from __future__ import annotations

import pytest

from rules.engine.rule_runtime import RuleRuntime


@pytest.fixture(params=["fast", "general"])
def both_paths(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test with RuleRuntime._process_simple/_run_simple (the common rule shape's
    fast path) and again with every event through RuleRuntime._process_general."""
    if request.param == "general":
        monkeypatch.setattr(RuleRuntime, "_process_simple", RuleRuntime._process_general)
        monkeypatch.setattr(RuleRuntime, "_run_simple", RuleRuntime._run_general)
    return str(request.param)
