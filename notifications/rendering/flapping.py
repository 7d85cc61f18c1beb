"""How flap damping reads in a message (rules.engine.flapping).

The trigger that makes a window flapping is told with its own text, whatever the
binding's text for the status is: the status of that trigger (a CANCEL) says nothing
of what is going on. The trigger that says the window is stable again is told with the
binding's text for the window's current status, after a line that says so.
"""

from __future__ import annotations

from rules.contract.triggers import TriggerSnapshot

STABLE_PREFIX = "[STABLE after flapping] "
_UNITS = ((3_600_000, "hour"), (60_000, "minute"), (1000, "second"))


def period_text(period_ms: int) -> str:
    """``10 minutes``, ``1 hour``, ``90 seconds``: the largest unit that divides it."""
    for size, name in _UNITS:
        if period_ms >= size and period_ms % size == 0:
            count = period_ms // size
            return f"{count} {name}{'s' if count != 1 else ''}"
    return f"{period_ms} ms"


def flapping_template(trigger: TriggerSnapshot) -> str:
    """The message template of the trigger that made the window flapping."""
    period = period_text(trigger.flap_period_ms)
    return (
        "[FLAPPING] ${rule} for ${entity} ${tags}: opened and cancelled more than "
        f"{trigger.flap_changes} times in {period}. Its OPEN and CANCEL messages are "
        f"held back until it has been stable for {period}. ${{ruleLink}}"
    )
