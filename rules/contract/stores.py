"""The stores as notifications reads them: templates call store functions
(``lookup()``, ``property()``...) and ``${properties}`` shows a property command's tags."""

from __future__ import annotations

from rules.expressions.stores import DataStores
from rules.stores.properties import command_tags
from rules.stores.service import DatabaseStores

__all__ = ["command_tags", "shared_stores"]

_stores: DatabaseStores | None = None


def shared_stores() -> DataStores:
    """This process's cached store reader (created on first use)."""
    global _stores
    if _stores is None:
        _stores = DatabaseStores()
    return _stores
