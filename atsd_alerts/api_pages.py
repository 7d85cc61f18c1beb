"""The row cap of the read APIs (setting ``API_MAX_PAGE_SIZE``, design invariant 8).

No answer of a read API holds more than ``API_MAX_PAGE_SIZE`` rows, whatever ``limit``
the client asks for: ``limit`` ≤ 0 (ATSD's "unlimited") or above the cap means the
cap, and the queries of one request share it. The answer says so in two headers:
``X-Max-Page-Size`` (the cap) and ``X-Result-Truncated`` (``true`` when rows that
matched were left out because of the cap, never because of the client's own
``limit``). The body keeps ATSD's shape, a JSON array; a client reads on by narrowing
its filter (an ``endDate`` at the oldest row it got, for newest-first answers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)


@dataclass
class RowBudget:
    """What one answer may still hold: ``max_rows`` in all, ``used`` so far."""

    max_rows: int
    used: int = 0
    truncated: bool = False

    @classmethod
    def from_settings(cls) -> RowBudget:
        return cls(settings.API_MAX_PAGE_SIZE)  # a positive integer (rules.limits checks)

    def take(self, rows: QuerySet[M], limit: int | None) -> list[M]:
        """The first ``limit`` rows (None or ≤ 0: as many as allowed), no more than the
        answer may still hold; marks the answer truncated when the cap left rows out."""
        remaining = self.max_rows - self.used
        wanted = limit if limit is not None and limit > 0 else None
        if wanted is not None and wanted <= remaining:
            taken = list(rows[:wanted])
        else:
            # One row more than allowed tells whether the cap cut anything off.
            taken = list(rows[: remaining + 1])
            if len(taken) > remaining:
                self.truncated = True
                del taken[remaining:]
        self.used += len(taken)
        return taken

    def headers(self) -> dict[str, str]:
        """The headers that tell the client about the cap."""
        return {
            "X-Max-Page-Size": str(self.max_rows),
            "X-Result-Truncated": "true" if self.truncated else "false",
        }
