"""Value classes the engine scope hands to expressions through ``ctx.lookup``.

``entity`` and ``metric`` evaluate to objects that compare and print as their
name (they are ``str`` subclasses) and expose fields as members:
``entity.label``, ``entity.displayName``, ``entity.tags.app``,
``metric.label``, ``metric.<field>``. ``tags`` is a plain ``dict`` of strings.
Missing members are ``None`` (null).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rules.expressions.formatting import format_value


class _NamedValue(str):
    """A named object: the string is its name; ``label``, ``tags`` and other fields
    are members, ``displayName`` is the label or else the name."""

    __slots__ = ("fields", "label", "tags")

    label: str | None
    tags: dict[str, str]
    fields: dict[str, Any]

    def __new__(
        cls,
        name: str,
        label: str | None = None,
        tags: Mapping[str, str] | None = None,
        **fields: Any,
    ) -> Any:
        obj = super().__new__(cls, name)
        obj.label = label
        obj.tags = dict(tags or {})
        obj.fields = dict(fields)
        return obj

    @property
    def name(self) -> str:
        return str.__str__(self)

    @property
    def displayName(self) -> str:
        return self.label or self.name

    def expression_member(self, name: str) -> Any:
        if name == "name":
            return self.name
        if name == "label":
            return self.label
        if name == "displayName":
            return self.displayName
        if name == "tags":
            return self.tags
        return self.fields.get(name)

    def __reduce__(self) -> tuple[Any, ...]:
        # Window snapshots are pickled for Celery tasks; keep the members.
        return (_rebuild, (type(self), self.name, self.label, self.tags, self.fields))


class EntityValue(_NamedValue):
    """An entity (spec §4.4); ``fields`` may hold enabled, timeZone, interpolate,
    creationTime, lastInsertTime."""

    __slots__ = ()


class MetricValue(_NamedValue):
    """A metric; ``fields``: description, units, dataType, timeZone, enabled, ...
    (``metric.<field>``)."""

    __slots__ = ()


def _rebuild(
    cls: type, name: str, label: str | None, tags: dict[str, str], fields: dict[str, Any]
) -> Any:
    return cls(name, label, tags, **fields)


class Record:
    """A read-only object whose members come from a mapping (samples, history records)."""

    __slots__ = ("_fields",)

    def __init__(self, **fields: Any) -> None:
        self._fields = fields

    def expression_member(self, name: str) -> Any:
        return self._fields.get(name)

    def as_dict(self) -> dict[str, Any]:
        return dict(self._fields)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Record) and other._fields == self._fields

    def __hash__(self) -> int:
        return hash(tuple(sorted(self._fields)))

    def __str__(self) -> str:
        return format_value(self._fields)

    def __repr__(self) -> str:
        return f"Record({self._fields!r})"
