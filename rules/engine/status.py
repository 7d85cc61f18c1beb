"""Window status and the transition table of spec §3.5."""

from __future__ import annotations

CANCEL = "CANCEL"
OPEN = "OPEN"
REPEAT = "REPEAT"
STATUSES = (CANCEL, OPEN, REPEAT)


def next_status(before: str, condition: bool) -> str:
    """Status after an evaluation: CANCEL→OPEN on true, OPEN/REPEAT→REPEAT on true,
    OPEN/REPEAT→CANCEL on false, CANCEL stays CANCEL on false (no trigger then)."""
    if condition:
        return OPEN if before == CANCEL else REPEAT
    return CANCEL


def is_active(status: str) -> bool:
    """OPEN or REPEAT: the window has an open alert."""
    return status != CANCEL
