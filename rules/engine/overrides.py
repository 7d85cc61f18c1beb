"""The overrides table of a rule (spec §3.11, §3.7): rows that replace the condition for
the windows they match, decide the severity and name the check that fired.

Rows are tried top to bottom; a row matches a window's command when every non-empty
filter cell matches (entity group membership, entity pattern, each tag pattern, ``*``
any run, ``?`` one character). The first matching row wins and the rule's condition is
skipped: ``fn op error`` and ``fn op warning`` are checked (an empty threshold is not
checked); either one true opens the alert, CRITICAL when the error check holds, else
WARNING. A row that names notifications routes the status changes it decides to those
bindings only. No row matching → the rule's own condition and severity.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from rules.contract.triggers import EMAIL_ACTION_PREFIX, WEB_ACTION_PREFIX
from rules.engine.actions import ActionSettings
from rules.wildcards import Matcher, any_matcher

# (group name, entity name) → whether the entity is a member of the group.
GroupMembership = Callable[[str, str], bool]

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}

CRITICAL = "CRITICAL"
WARNING = "WARNING"

_MATCH_CACHE_LIMIT = 10_000


def no_groups(group: str, entity: str) -> bool:
    """Membership when no group store is connected: nobody is in any group."""
    return False


class OverrideError(ValueError):
    """A row that cannot be run (bad operator, threshold or function)."""


@dataclass(frozen=True)
class OverrideRow:
    """One row of the overrides table, as texts (``rules.xml`` §2.5 keeps them so).

    ``function`` is ``value`` or a statistical function with or without its
    parentheses (``max``, ``percentile(75)``); ``error``/``warning`` are numbers or
    "" (not checked); ``tags`` are (tag name, pattern) pairs; ``notifications`` the
    names of the web-notification bindings the row routes to, ``emails`` of the email
    ones (stored).
    """

    function: str = "value"
    operator: str = ">"
    error: str = ""
    warning: str = ""
    entity_group: str = ""
    entity: str = ""
    tags: tuple[tuple[str, str], ...] = ()
    notifications: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()

    def function_expression(self) -> str:
        """The expression the function cell stands for: ``max`` → ``max()``."""
        fn = self.function.strip() or "value"
        if "(" in fn or fn == "value":
            return fn
        return f"{fn}()"

    def check(self) -> None:
        """Raise ``OverrideError`` when the row cannot run (the expression is checked
        by whoever compiles it)."""
        if self.operator not in OPERATORS:
            raise OverrideError(f"operator {self.operator!r} is not one of {' '.join(OPERATORS)}")
        for label, text in (("error", self.error), ("warning", self.warning)):
            if text.strip():
                try:
                    float(text)
                except ValueError:
                    raise OverrideError(f"{label} threshold {text!r} is not a number") from None
        if not self.error.strip() and not self.warning.strip():
            raise OverrideError("the row has neither an error nor a warning threshold")


@dataclass(frozen=True, slots=True)
class OverrideOutcome:
    """What the matching row decided for one evaluation."""

    row: int  # 0-based position in the table
    result: bool
    severity: str  # CRITICAL / WARNING when result is True; the last one otherwise
    threshold: str  # the winning check (``max() > 20``), "" when none held
    notifications: tuple[str, ...]


class _CompiledRow:
    __slots__ = (
        "entity",
        "error",
        "evaluate",
        "fn_text",
        "group",
        "notifications",
        "op",
        "op_text",
        "tags",
        "warning",
    )

    def __init__(self, row: OverrideRow, evaluate: Callable[[Any], Any]) -> None:
        row.check()
        self.evaluate = evaluate
        self.fn_text = row.function_expression()
        self.op_text = row.operator
        self.op = OPERATORS[row.operator]
        self.error = (float(row.error), row.error.strip()) if row.error.strip() else None
        self.warning = (float(row.warning), row.warning.strip()) if row.warning.strip() else None
        self.group = row.entity_group.strip()
        self.entity: Matcher | None = any_matcher(row.entity.split(), ignore_case=True)
        self.tags: tuple[tuple[str, Matcher], ...] = tuple(
            (name, m)
            for name, pattern in row.tags
            if (m := any_matcher([pattern.strip()], ignore_case=True)) is not None
        )
        self.notifications = row.notifications

    def matches(self, entity: str, tags: Mapping[str, str], member: GroupMembership) -> bool:
        if self.entity is not None and not self.entity(entity):
            return False
        for name, matcher in self.tags:
            if not matcher(tags.get(name, "")):
                return False
        return not self.group or member(self.group, entity)


class OverrideTable:
    """The compiled rows of one rule. ``compile_`` turns the function cell into an
    evaluable (the rule's compiler); ``member`` answers group membership."""

    def __init__(
        self,
        rows: tuple[OverrideRow, ...],
        compile_: Callable[[str], Any],
        member: GroupMembership = no_groups,
    ) -> None:
        compiled = []
        for number, row in enumerate(rows, 1):
            try:
                expr = compile_(row.function_expression())
            except Exception as exc:
                raise OverrideError(f"override row {number}: {exc}") from exc
            try:
                compiled.append(_CompiledRow(row, getattr(expr, "closure", expr.evaluate)))
            except OverrideError as exc:
                raise OverrideError(f"override row {number}: {exc}") from None
        self.rows = tuple(compiled)
        self.member = member
        # Membership changes as groups are edited: the cache keeps only row positions
        # for (entity, tags) of rows without a group cell.
        self._static = all(not r.group for r in self.rows)
        self._cache: dict[Any, int] = {}

    def find(self, entity: str, tags: Mapping[str, str]) -> int:
        """Position of the first row matching the command, -1 when none does."""
        key = None
        if self._static:
            key = (entity, tuple(sorted(tags.items()))) if tags else entity
            found = self._cache.get(key)
            if found is not None:
                return found
        position = -1
        for index, row in enumerate(self.rows):
            if row.matches(entity, tags, self.member):
                position = index
                break
        if key is not None:
            if len(self._cache) >= _MATCH_CACHE_LIMIT:
                self._cache.clear()
            self._cache[key] = position
        return position

    def decide(self, scope: Any, entity: str, tags: Mapping[str, str]) -> OverrideOutcome | None:
        """The outcome of the first matching row for this evaluation, None when no row
        matches. The function's errors propagate (a Rule Error, status unchanged)."""
        position = self.find(entity, tags)
        if position < 0:
            return None
        row = self.rows[position]
        value = row.evaluate(scope)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise OverrideError(
                f"override row {position + 1}: {row.fn_text} returned "
                f"{type(value).__name__} {value!r}, not a number"
            )
        x = float(value)
        for severity, limit in ((CRITICAL, row.error), (WARNING, row.warning)):
            if limit is not None and not math.isnan(x) and row.op(x, limit[0]):
                threshold = f"{row.fn_text} {row.op_text} {limit[1]}"
                return OverrideOutcome(position, True, severity, threshold, row.notifications)
        return OverrideOutcome(position, False, WARNING, "", row.notifications)


def with_overrides(
    table: OverrideTable,
    condition: Callable[[Any], Any],
    condition_error: Callable[[Exception], Exception],
    tags_of: Callable[[Any], Mapping[str, str]],
) -> Callable[[Any], Any]:
    """The rule's condition behind its overrides table: the evaluation the engine runs.
    ``tags_of(event)`` gives the tags rows match on (the tags rules see).

    The outcome is kept on the window (``scope.wr.override``) for the trigger. A row
    that stops holding keeps the severity and threshold it opened with, so the CANCEL
    carries what the alert was."""

    def evaluate(scope: Any) -> Any:
        wr = scope.wr
        event = scope.event
        outcome = None
        if event is not None:
            outcome = table.decide(scope, event.entity, tags_of(event))
        previous = wr.override
        if (
            outcome is not None
            and not outcome.result
            and previous is not None
            and previous.row == outcome.row
        ):
            outcome = replace(previous, result=False)
        wr.override = outcome
        if outcome is not None:
            return outcome.result
        try:
            return condition(scope)
        except Exception as exc:  # reported with the condition's own positions
            raise condition_error(exc) from None

    return evaluate


def routed_actions(
    actions: Sequence[ActionSettings], override: OverrideOutcome | None
) -> Iterator[ActionSettings]:
    """The actions a status change runs (spec §3.7): a row that names notifications runs
    only those bindings (web and email, by binding name); otherwise every binding runs
    but those used in overrides only. Actions other than notifications always run."""
    named = override.notifications if override is not None else ()
    for settings in actions:
        binding = _binding_name(settings.name)
        if binding is not None:
            if named:
                if binding not in named:
                    continue
            elif settings.overrides_only:
                continue
        yield settings


def _binding_name(action: str) -> str | None:
    """The binding name of a notification action (``web:x``, ``email:x``), else None."""
    for prefix in _BINDING_PREFIXES:
        if action.startswith(prefix):
            return action[len(prefix) :]
    return None


_BINDING_PREFIXES = (WEB_ACTION_PREFIX, EMAIL_ACTION_PREFIX)
