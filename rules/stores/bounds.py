"""Keeping a store within its row cap."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet


def delete_beyond(rows: QuerySet[Any], keep: int, chunk: int = 10_000) -> int:
    """Delete the rows of ``rows`` (ordered, newest first) after the first ``keep``, in
    chunks of ``chunk`` ids so no statement grows with the store; how many went."""
    deleted = 0
    while True:
        ids = list(rows.values_list("id", flat=True)[keep : keep + chunk])
        if not ids:
            return deleted
        deleted += rows.model.objects.filter(id__in=ids).delete()[0]
