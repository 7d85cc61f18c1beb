"""Entity group membership as rules ask it (``groupFilter``, override rows), cached
per process.

Asked during evaluation, so it must not touch the database each time: the groups are
reloaded every ``REFRESH_S`` seconds and each (group, entity) answer is kept until
then (at most ``_ANSWERS_LIMIT`` of them). When the database cannot be read, the
groups read last keep answering (none before the first read): a rule is never stopped
by it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import DatabaseError

from rules.engine.groups import EntityGroupRule, compile_group_expression
from rules.expressions.errors import ExpressionError
from rules.expressions.values import EntityValue
from rules.models import EntityGroup
from rules.partition.reloads import PeriodicReload

log = logging.getLogger(__name__)

REFRESH_S = 30.0
RETRY_S = 5.0
_ANSWERS_LIMIT = 100_000


class GroupCache:
    """``member(group, entity)`` for the engine; ``entities`` gives an entity's object
    (label, tags) as conditions see it."""

    def __init__(self, entities: Callable[[str], EntityValue]) -> None:
        self._entities = entities
        self._groups: dict[str, EntityGroupRule] = {}
        self._answers: dict[tuple[str, str], bool] = {}
        self._reload = PeriodicReload(self._load, REFRESH_S, RETRY_S)
        self._refresh = self._reload.refresh

    def _load(self) -> bool:
        try:
            rows = list(EntityGroup.objects.all())
        except DatabaseError as exc:
            # Keep answering from the groups read last; ask again after RETRY_S.
            log.warning("entity groups not reloaded: %s", exc)
            return False
        groups: dict[str, EntityGroupRule] = {}
        for row in rows:
            expression = None
            if row.expression.strip():
                try:
                    expression = compile_group_expression(row.expression)
                except ExpressionError as exc:
                    log.warning("entity group %s: expression not run: %s", row.name, exc)
            groups[row.name.lower()] = EntityGroupRule(row.members or (), expression)
        self._groups = groups
        self._answers = {}
        return True

    def member(self, group: str, entity: str) -> bool:
        """Whether ``entity`` is in ``group`` (group names compared ignoring case)."""
        self._refresh()
        key = (group.lower(), entity)
        answer = self._answers.get(key)
        if answer is None:
            found = self._groups.get(key[0])
            answer = found is not None and found.contains(self._entities(entity))
            if len(self._answers) >= _ANSWERS_LIMIT:
                self._answers = {}
            self._answers[key] = answer
        return answer

    def reload(self) -> None:
        """Read the groups again on the next question (after an edit, in tests)."""
        self._reload.expire()
