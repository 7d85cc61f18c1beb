"""``WebNotificationSpec``: one ``<webNotification>`` of a rule (spec §2.3) as typed data.

This is the one shape in which a web-notification binding crosses between the apps:
rules reads and writes the XML (rules.rulesxml.web_notifications), notifications keeps
the bindings as rows and edits them on the rule's Web Notifications tab. Values are
kept as the element holds them: parameter values are templates and stay text (legacy
placeholders such as ``${asciiDetailsTable}`` are kept as written), interval units and
strategy types upper-case. Two specs are equal when every field is, parameters compared
without regard to their order (PostgreSQL ``jsonb`` does not keep it).

Which parameter keys hold secrets is the notifications app's knowledge (its endpoint
kinds): it declares them when it starts; rules.xml exports leave them empty.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

TRIGGERS = ("open", "repeat", "cancel")
DETAILS_FORMAT_KEY = "details_table_format"
DETAILS_FORMATS = ("ascii", "markdown", "html", "csv", "property")
DEFAULT_DETAILS_FORMAT = "ascii"
DEFAULT_DELAY_UNIT = "SECOND"
NAME_PREFIX = "Web Service Notification id="
INTERVAL_UNITS = (
    "MILLISECOND",
    "SECOND",
    "MINUTE",
    "HOUR",
    "DAY",
    "WEEK",
    "MONTH",
    "QUARTER",
    "YEAR",
)
STRATEGY_TYPES = ("ALL", "COUNT", "INTERVAL", "NONE")


_SECRET_KEYS: set[str] = set()


def declare_secret_parameters(keys: Iterable[str]) -> None:
    """Parameter keys whose values are secrets (tokens, passwords): empty in exports
    unless secrets are asked for, write-only in forms."""
    _SECRET_KEYS.update(keys)


def secret_parameters() -> frozenset[str]:
    """Every parameter key declared secret."""
    return frozenset(_SECRET_KEYS)


def default_name(index: int) -> str:
    """ATSD's name for a binding without one: ``Web Service Notification id=<index+1>``."""
    return f"{NAME_PREFIX}{index + 1}"


class BindingElementError(ValueError):
    """A binding element of a rule that cannot be read or written: ``element`` is the
    child at fault (the element's own tag for the element as a whole)."""

    def __init__(self, element: str, reason: str) -> None:
        self.element = element
        self.reason = reason
        super().__init__(f"<{element}>: {reason}" if element else reason)


class WebNotificationError(BindingElementError):
    """A ``<webNotification>`` that cannot be read or written."""


@dataclass(frozen=True, slots=True)
class RepeatInterval:
    """``<repeat-interval>``: which REPEATs are sent (``ALL``, every ``COUNT``th, one per
    ``INTERVAL``, ``NONE``). ATSD writes count 5 and MINUTE for ``ALL``: kept as read."""

    type: str = "ALL"
    count: int = 5
    unit: str = "MINUTE"


@dataclass(frozen=True, slots=True)
class Delay:
    """``<first-delay>``: how long a window stays OPEN before its OPEN is sent."""

    count: int = 0
    unit: str = DEFAULT_DELAY_UNIT


@dataclass(frozen=True, slots=True)
class TriggerSettings:
    """What one trigger (OPEN, REPEAT or CANCEL) of a binding sends.

    ``parameters``: the ``<firstWebConfigParameters>`` (``repeat…``, ``cancel…``) key
    and value pairs, in the element's order, read-only.
    """

    enabled: bool = False
    parameters: Mapping[str, str] = field(default_factory=dict)
    details: bool = False
    screenshot: bool = False
    portal_ids: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "parameters", MappingProxyType(dict(self.parameters)))


@dataclass(frozen=True, slots=True)
class WebNotificationSpec:
    """Every field of one ``<webNotification>``.

    ``endpoint`` is the endpoint's name (``webNotificationConfigName``); an unknown one
    leaves the binding unresolved. ``details_format`` is the details table's format for
    every trigger; rules.xml carries it as the ``details_table_format`` parameter.
    ``extra_elements``: children nothing here models, kept as XML text and written back
    as they are.
    """

    name: str
    enabled: bool = True
    endpoint: str = ""
    use_in_threshold_only: bool = False
    open_delay: Delay = field(default_factory=Delay)
    repeat_interval: RepeatInterval = field(default_factory=RepeatInterval)
    repeat_as_open: bool = False
    cancel_as_open: bool = False
    open: TriggerSettings = field(default_factory=TriggerSettings)
    repeat: TriggerSettings = field(default_factory=TriggerSettings)
    cancel: TriggerSettings = field(default_factory=TriggerSettings)
    details_format: str = DEFAULT_DETAILS_FORMAT
    extra_elements: tuple[str, ...] = ()

    def trigger(self, name: str) -> TriggerSettings:
        """The settings of trigger ``name`` (one of ``TRIGGERS``)."""
        if name not in TRIGGERS:
            raise KeyError(name)
        settings: TriggerSettings = getattr(self, name)
        return settings
