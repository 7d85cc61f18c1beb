"""The Logging-tab text of a trigger (spec §2.2 ``alertOpenMessage``, ``alertMessage``,
``alertCancellationMessage``): what alert history stores as ``alert`` and the file log
named by ``alertLoggerName`` writes.

The engine renders the template of the trigger's status when the alert-history or the
file-log action fires, in the window's scope with the fields a derived command sees. A template that
does not render is a rule error and gives no text, so the reader falls back to the
default text (``Open alert for …``, spec §8).
"""

from __future__ import annotations

from typing import Any

from rules.contract.triggers import ALERT_HISTORY_ACTION, ALERT_LOG_ACTION, TriggerSnapshot
from rules.engine.derived import TriggerFields
from rules.engine.status import CANCEL, OPEN
from rules.expressions.templates import render_placeholders


def template_for(status: str, texts: tuple[str, str, str]) -> str:
    """The template of ``status`` among the rule's (OPEN, REPEAT, CANCEL) texts."""
    open_text, repeat_text, cancel_text = texts
    if status == OPEN:
        return open_text
    return cancel_text if status == CANCEL else repeat_text


def alert_text(
    snapshot: TriggerSnapshot, texts: tuple[str, str, str], scope: Any
) -> tuple[str, list[str]]:
    """(rendered text, errors) for ``snapshot``; ("", []) when neither alert history nor
    the file log fires or the template is blank, ("", errors) when it fails to render."""
    template = template_for(snapshot.status, texts)
    fired = snapshot.fired()
    if not template.strip() or (
        ALERT_HISTORY_ACTION not in fired and ALERT_LOG_ACTION not in fired
    ):
        return "", []
    text, errors = render_placeholders(template, TriggerFields(snapshot, scope))
    return ("", errors) if errors else (text, [])
