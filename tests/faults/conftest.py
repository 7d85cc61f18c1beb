"""The fault suite's report: one line per fault, repeated at the end of the run.

Each fault test prints its line as it ends (``-s`` shows it live) and adds it to
:func:`fault_report`; the terminal summary lists them all, so a run without ``-s``
(``make test``) shows them too.
"""

from __future__ import annotations

import pytest

FAULT_LINES = pytest.StashKey[list[str]]()


@pytest.fixture(scope="session")
def fault_report(request: pytest.FixtureRequest) -> list[str]:
    """The lines of the faults run so far (append yours)."""
    return request.config.stash.setdefault(FAULT_LINES, [])


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    lines = config.stash.get(FAULT_LINES, [])
    if lines:
        terminalreporter.section("fault injection")
        for line in lines:
            terminalreporter.write_line(line)
