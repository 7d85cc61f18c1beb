"""``EmailNotificationSpec``: one ``<emailNotification>`` of a rule (spec §2.4) as typed data.

The one shape in which an email binding crosses between the apps: rules reads and
writes the XML (rules.rulesxml.email_notifications), the engine takes its triggers and
repeat strategy from it, notifications renders and sends it and edits it on the rule's
Email Notifications tab. Values are kept as the element holds them: recipients,
subjects and bodies are templates and stay text.

ATSD's element has no ``*-enabled`` children: a trigger is on when its subject (the
OPEN subject for a trigger that is "same as on open") is not empty, and a
``repeat-interval`` of type ``NONE`` sends no REPEAT.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rules.contract.bindings import TRIGGERS, BindingElementError, Delay, RepeatInterval

NAME_PREFIX = "Email Notification id="
# Recipients are separated by commas, semicolons or white space (spec §2.4).
_RECIPIENT_SEPARATORS = re.compile(r"[,;\s]+")


def default_name(index: int) -> str:
    """ATSD's name for an email binding without one: ``Email Notification id=<index+1>``."""
    return f"{NAME_PREFIX}{index + 1}"


def split_recipients(text: str) -> list[str]:
    """The addresses of a (rendered) recipients list, in order, without repeats."""
    seen: dict[str, None] = {}
    for part in _RECIPIENT_SEPARATORS.split(text):
        if part:
            seen.setdefault(part, None)
    return list(seen)


class EmailNotificationError(BindingElementError):
    """An ``<emailNotification>`` that cannot be read or written."""


@dataclass(frozen=True, slots=True)
class EmailTriggerSettings:
    """What one trigger (OPEN, REPEAT or CANCEL) of an email binding sends: the subject
    and HTML body templates, whether the details table and the chart are included, and
    the extra portals charted (comma list of ids)."""

    subject: str = ""
    body: str = ""
    details: bool = False
    screenshot: bool = False
    portal_ids: str = ""


@dataclass(frozen=True, slots=True)
class EmailNotificationSpec:
    """Every field of one ``<emailNotification>``.

    ``recipients``: the template of the address list. ``merge`` and ``priority``
    are ATSD's values as read (``priority`` 1 marks the email urgent).
    ``extra_elements``: children nothing here models, kept as XML text and written
    back as they are.
    """

    name: str
    enabled: bool = True
    use_in_threshold_only: bool = False
    open_delay: Delay = field(default_factory=Delay)
    repeat_interval: RepeatInterval = field(default_factory=RepeatInterval)
    repeat_as_open: bool = False
    cancel_as_open: bool = False
    recipients: str = ""
    merge: bool = False
    priority: int = 0
    open: EmailTriggerSettings = field(default_factory=EmailTriggerSettings)
    repeat: EmailTriggerSettings = field(default_factory=EmailTriggerSettings)
    cancel: EmailTriggerSettings = field(default_factory=EmailTriggerSettings)
    extra_elements: tuple[str, ...] = ()

    def trigger(self, name: str) -> EmailTriggerSettings:
        """The settings stored for trigger ``name`` (one of ``TRIGGERS``)."""
        if name not in TRIGGERS:
            raise KeyError(name)
        settings: EmailTriggerSettings = getattr(self, name)
        return settings

    def slot(self, name: str) -> str:
        """Whose settings trigger ``name`` sends with: ``open`` when it is "same as on
        open", else its own."""
        if (name == "repeat" and self.repeat_as_open) or (name == "cancel" and self.cancel_as_open):
            return "open"
        if name not in TRIGGERS:
            raise KeyError(name)
        return name

    def sends(self, name: str) -> EmailTriggerSettings:
        """The settings trigger ``name`` sends with (see :meth:`slot`)."""
        return self.trigger(self.slot(name))

    def enabled_on(self, name: str) -> bool:
        """Whether trigger ``name`` sends at all: its subject is not empty."""
        return bool(self.sends(name).subject.strip())
