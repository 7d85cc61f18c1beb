"""A message that would mislead without a word of context carries a note saying why.

* A REPEAT or CANCEL whose OPEN never reached the room says so. Per window and
  endpoint, notifications go out in order, and an OPEN being retried holds its REPEATs
  and CANCEL behind it. Once the OPEN is given up (its deadline passed) or failed for
  good (a 4xx), holding the rest would lose them too, so they are sent, each with a
  note that the room never saw this alert's OPEN and why: no CANCEL arrives alone
  without saying so.
* A CANCEL made because a restarted partition did not get its window back (reason
  ``state_lost``) says that no sample cancelled the alert: the condition may still hold.
"""

from __future__ import annotations

import html

from notifications.models import Delivery, DeliveryStatus
from notifications.rendering.truncate import cut_html, cut_text
from rules.contract.triggers import REASON_STATE_LOST, TriggerSnapshot

LATER = ("REPEAT", "CANCEL")
REASON_CHARS = 200
GIVEN_UP = "given up"


def lost_open_reason(delivery: Delivery) -> str | None:
    """Why this alert's OPEN was not delivered, when ``delivery`` follows a lost OPEN.

    The OPEN of an alert is the newest OPEN or CANCEL of the same order key before
    it, when that is an OPEN (a CANCEL there means this episode sent no OPEN).
    """
    if delivery.trigger not in LATER:
        return None
    previous = (
        Delivery.objects.filter(
            order_key=delivery.order_key,
            sequence__lt=delivery.sequence,
            trigger__in=("OPEN", "CANCEL"),
        )
        .order_by("-sequence")
        .values_list("trigger", "status", "last_error")
        .first()
    )
    if previous is None or previous[:2] != ("OPEN", DeliveryStatus.FAILED):
        return None
    reason = previous[2] or "failed"
    if reason.startswith(GIVEN_UP):  # "given up ... after N attempts: <the last error>"
        reason = reason.partition(": ")[0]
    return reason if len(reason) <= REASON_CHARS else reason[: REASON_CHARS - 3] + "..."


STATE_LOST_NOTE = (
    "Note: this alert was closed because the engine lost its window's state in a restart, "
    "not by a sample: the condition may still hold."
)


def delivery_note(delivery: Delivery, trigger: TriggerSnapshot) -> str | None:
    """The note ``delivery`` must carry, if any: a lost OPEN, or a CANCEL no sample made."""
    if trigger.status == "CANCEL" and trigger.reason == REASON_STATE_LOST:
        return STATE_LOST_NOTE
    reason = lost_open_reason(delivery)
    if reason is None:
        return None
    return f"Note: the OPEN notification of this alert was not delivered ({reason})."


def with_note(text: str, note: str, message_format: str, limit: int | None) -> str:
    """``text`` followed by ``note`` on a line of its own, cut so that the note always
    fits within ``limit``, the channel's longest text (None: no limit)."""
    if message_format == "html":
        note = "<br>" + html.escape(note)
        return (cut_html(text, limit - len(note)) if limit else text) + note
    note = "\n" + note
    return (cut_text(text, limit - len(note)) if limit else text) + note
