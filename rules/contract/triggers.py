"""The trigger snapshot the engine makes at OPEN / REPEAT / CANCEL, and its one codec.

A trigger has three shapes and no others: the ``TriggerSnapshot`` in memory, its
serialized form (``encode_trigger``: JSON data carrying ``"v": 1``), used both for the
partition's outbox and for ``TriggerRecord.data``, and that row. ``decode_trigger``
reads the serialized form back; data without ``"v"`` was written before the field
existed and has the layout of version 1; any other version is refused with
``TriggerFormatError``, so a reader never guesses at a layout it does not know.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import Any

from rules.engine.aggregates import describe
from rules.expressions.formatting import format_value

FORMAT_VERSION = 1

# Why a trigger was made (``TriggerSnapshot.reason``).
REASON_EVALUATION = "evaluation"  # a sample was applied
REASON_EXIT = "exit"  # Check On Exit: a sample left a time window
REASON_DELAYED_OPEN = "delayed_open"  # a Delay-on-OPEN countdown expired
REASON_RULE_DROPPED = "rule_dropped"  # the rule was removed or changed (spec §3.9)
REASON_STATE_LOST = "state_lost"  # a restarted partition did not get the window back
REASON_FLAP_STABLE = "flap_stable"  # a flapping window has been stable for the period

# Flap damping (``TriggerSnapshot.flapping``, rules.engine.flapping): the trigger that
# made the window flapping, the triggers while it flaps (no messages) and the trigger
# that says it is stable again.
FLAP_NONE = ""
FLAP_STARTED = "started"
FLAP_ONGOING = "ongoing"
FLAP_ENDED = "ended"

# Action names the engine gives: alert history logging, one per web-notification
# binding (``web:<binding name>``) and one per email binding (``email:<binding name>``).
ALERT_HISTORY_ACTION = "alert-history"
ALERT_LOG_ACTION = "alert-log"  # the rule's file log (alertLoggerName)
WEB_ACTION_PREFIX = "web:"
DERIVED_ACTION = "derived"  # derivedCommand: commands fed back into ingest
EMAIL_ACTION_PREFIX = "email:"


class Decision(StrEnum):
    """What one action does for a trigger."""

    FIRE = "fire"
    SUPPRESS = "suppress"
    SCHEDULE = "schedule"  # a delayed OPEN check after ``countdown_ms``


class TriggerFormatError(ValueError):
    """Serialized trigger data this build cannot read."""


@dataclass(frozen=True, slots=True)
class ActionOutcome:
    """One action's decision for a trigger (a ``Decision`` value); ``countdown_ms`` for
    ``schedule``: when the engine checks the delayed OPEN."""

    action: str
    decision: str
    countdown_ms: int = 0


# Not frozen: a frozen dataclass sets each of its 46 fields through object.__setattr__,
# which costs bench_engine about 3 % (a trigger per REPEAT). Treat it as read-only.
@dataclass(slots=True)
class TriggerSnapshot:
    """A window at trigger time (OPEN / REPEAT / CANCEL).

    ``reason`` is one of the ``REASON_*`` names. Times are Unix ms or None ("never").
    ``statistics`` holds the window's incremental aggregates; ``times``/``values`` are
    its samples, from which ``details_statistics()`` (the details table, spec §6) and
    any placeholder function can be computed by the renderer. ``actions`` lists every
    action's decision (``fired()``: the names that fire now).
    """

    rule: str
    reason: str
    window_key: str
    key: list[Any]
    status: str
    before_status: str
    repeat_count: int
    episode: int | None
    severity: str
    now_ms: int
    open_time: int | None
    repeat_time: int | None
    cancel_time: int | None
    change_time: int | None
    add_time: int | None
    previous_add_time: int | None
    remove_time: int | None
    update_time: int | None
    command_time: int | None
    command_first_time: int | None
    command_last_time: int | None
    received_time: int | None
    data_type: str
    metric: str
    entity: str | None
    window_entity: str | None
    window_tags: dict[str, str]
    tags: dict[str, str]
    value: float
    open_value: float
    text: str | None
    line_values: dict[str, float]
    message_type: str | None
    message_source: str | None
    message_severity: int | None
    keys: dict[str, str]
    is_exiting: bool
    delay_expired: bool
    window: str
    expression: str
    rule_filter: str
    statistics: dict[str, float]
    times: list[int]
    values: list[float]
    variables: dict[str, Any]
    actions: tuple[ActionOutcome, ...]
    # The winning override check (``max() > 20``, spec §3.11), "" without one.
    threshold: str = ""
    # The rule's instantAction: its notifications are sent ahead of queued ones (§3.6).
    instant: bool = False
    # Derived commands to ingest (command lines) and the derived depth they carry.
    derived_commands: list[str] = field(default_factory=list)
    derived_depth: int = 0
    # The rule's Logging-tab text rendered for this trigger (alert history, file log);
    # "" when none rendered: readers then use the default text.
    alert_text: str = ""
    # The alertLoggerName whose file log gets this trigger's text; "" for none.
    alert_logger: str = ""
    # Flap damping: one of the ``FLAP_*`` markings; with it, the damping's settings
    # (``flap_changes`` OPEN→CANCEL within ``flap_period_ms``) for the message to name.
    flapping: str = FLAP_NONE
    flap_changes: int = 0
    flap_period_ms: int = 0

    def fired(self) -> list[str]:
        """Names of the actions that fire now."""
        return [a.action for a in self.actions if a.decision == Decision.FIRE]

    def details_statistics(self) -> dict[str, float]:
        """The details-table statistics (spec §6) over the snapshot's samples."""
        return describe(self.values, self.times)


_FIELDS = tuple(f.name for f in fields(TriggerSnapshot))
# Fields data of the same version may lack (added with a default): their default then.
_OPTIONAL = frozenset(
    {
        "threshold", "instant", "derived_commands", "derived_depth", "alert_text",
        "alert_logger", "flapping", "flap_changes", "flap_period_ms",
    }
)  # fmt: skip


def _finite(x: Any) -> Any:
    return None if isinstance(x, float) and not math.isfinite(x) else x


def _jsonable(value: Any) -> Any:
    """Plain JSON data for a variable value: numbers (NaN → None), strings, bools,
    lists and maps as such; any other object (DateTime...) as its expression text."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return _finite(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return format_value(value)


def encode_trigger(snapshot: TriggerSnapshot) -> dict[str, Any]:
    """Strict-JSON data of ``snapshot`` (NaN and infinities → None), with ``"v"``."""
    out: dict[str, Any] = {"v": FORMAT_VERSION}
    for name in _FIELDS:
        value = getattr(snapshot, name)
        if name == "actions":
            value = [asdict(a) for a in value]
        elif name in ("statistics", "line_values"):
            value = {k: _finite(x) for k, x in value.items()}
        elif name == "values":
            value = [_finite(x) for x in value]
        elif name == "variables":
            value = _jsonable(value)
        else:
            value = _finite(value)
        out[name] = value
    return out


def decode_trigger(data: dict[str, Any]) -> TriggerSnapshot:
    """The snapshot ``encode_trigger`` wrote (None stands for NaN in numeric fields).

    Raises ``TriggerFormatError`` for another format version or a missing field.
    """
    version = data.get("v", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise TriggerFormatError(
            f"trigger format version {version!r} is unknown; this build reads {FORMAT_VERSION}"
        )
    missing = [name for name in _FIELDS if name not in data and name not in _OPTIONAL]
    if missing:
        raise TriggerFormatError(f"trigger data lacks {', '.join(missing)}")
    kw = {name: data[name] for name in _FIELDS if name in data}
    kw["actions"] = tuple(ActionOutcome(**a) for a in data["actions"])
    for name in ("value", "open_value"):
        if kw[name] is None:
            kw[name] = math.nan
    kw["values"] = [math.nan if x is None else x for x in data["values"]]
    return TriggerSnapshot(**kw)
