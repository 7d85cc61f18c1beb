"""What the engine runs: a rule as plain data, and the compiler that turns its texts into
evaluables (spec §3, §4).

``RuleDefinition`` is built from a ``Rule`` row (rules.partition.definitions) or from
rules.xml; the engine never sees the ORM. Expressions are compiled by the project's
expression package unless the engine is given another compiler (tests give plain
callables).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from rules.engine import actions as act
from rules.engine.active_hours import ActiveHours
from rules.engine.flapping import FlapSettings
from rules.engine.grouping import Grouping
from rules.engine.overrides import OverrideRow
from rules.expressions.compiler import compile_expression

# Kinds passed to the compiler, one per place an expression appears.
KIND_CONDITION = "condition"
KIND_FILTER = "filter"
KIND_VARIABLE = "variable"


class Evaluable(Protocol):
    def evaluate(self, ctx: Any) -> Any: ...


Compiler = Callable[[str, str], Evaluable]


def default_compiler(text: str, kind: str) -> Evaluable:
    """The project's expression compiler."""
    return compile_expression(text, kind)


@dataclass(frozen=True)
class RuleDefinition:
    """Everything the engine needs from a rule (built from the model or ``rules.xml``).

    ``window`` is the window text (``length(3)``, ``time(15 minute)``); ``variables``
    are (name, expression) in declared order; ``time_filter_ms`` 0 = no time offset
    filter; ``discard_previous_values`` = out-of-order filter; ``check_on_exit`` =
    ``leavingEvents``; ``group_filter`` the entity group an event's entity must be in
    (§3.1 step 6); ``overrides`` the rows of the overrides table (§3.11);
    ``load_history`` = new windows start with the stored samples, messages or property
    records they would hold (``loadHistory``, §3.3).
    """

    name: str
    metric: str
    expression: str
    window: str
    type: str | None = None
    source: str | None = None
    entity_filter: str = ""
    group_filter: str = ""
    filter: str = ""
    grouping: Grouping = field(default_factory=Grouping)
    variables: tuple[tuple[str, str], ...] = ()
    severity: str = "WARNING"
    time_filter_ms: int = 0
    discard_previous_values: bool = False
    check_on_exit: bool = False
    overrides: tuple[OverrideRow, ...] = ()
    overrides_error: str = ""  # why the stored table could not be read: not installed
    instant_action: bool = False  # its notifications jump the notify queue (§3.6)
    active_hours: ActiveHours | None = None  # dateFilter; None = always
    derived_command: str = ""  # the template, rendered when the "derived" action fires
    # Logging-tab templates for OPEN, REPEAT, CANCEL, rendered when alert history fires.
    alert_texts: tuple[str, str, str] = ("", "", "")
    alert_logger: str = ""  # alertLoggerName: the file log the "alert-log" action writes
    load_history: bool = False
    actions: tuple[act.ActionSettings, ...] = ()
    enabled: bool = True
    flap: FlapSettings | None = None  # flap damping; None = off

    def fingerprint(self) -> str:
        """Hash of what decides window contents and status (all but actions, enabled,
        instant_action, derived_command, alert_texts, alert_logger, flap and
        load_history, which only fills windows yet
        to open): a change drops the rule's windows (§3.9); an actions-only change keeps
        them."""
        data = asdict(self)
        data.pop("actions")
        data.pop("enabled")
        data.pop("instant_action")
        data.pop("derived_command")
        data.pop("alert_texts")
        data.pop("alert_logger")
        data.pop("load_history")
        data.pop("flap")
        raw = json.dumps(data, sort_keys=True, default=str)
        return hashlib.sha256(raw.encode()).hexdigest()[:16]
