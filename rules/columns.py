"""What the database can hold, checked when a line is parsed.

A name or key that the schema cannot store must fail as one bad line with a clear
reason, on every database: PostgreSQL refuses a value longer than its ``varchar``
column (and would refuse the whole batch it came in), while SQLite stores anything.

* Entity, metric, tag, key and property type names are stored in 512-character
  columns (``Entity.name``, ``Metric.name``, ``Alert.entity``...). They are checked
  after lower-casing, the form that is stored.
* The window key of a sample (kind, metric, entity and the rule's grouping tags,
  written ``series-cpu-host-dc=eu``) is stored in a 2,048-character column that
  PostgreSQL indexes together with the rule name, and a B-tree entry holds at most
  2,704 bytes; so keys are measured in UTF-8 bytes and held to 2,048. A line whose
  kind, metric, entity and any one of its tags already make a longer key can be
  stored by no rule that groups by that tag: it is refused here. Several tags may
  together make a longer key (ATSD allows 1,024 tags per command); rules that group
  by all of them get such a trigger reported as a rule error by the alert store.
* PostgreSQL text cannot hold NUL (U+0000).

ATSD documents no length limits for names; these figures are the columns', and
``tests/unit/test_columns.py`` checks them against the models.
"""

from __future__ import annotations

NAME_MAX_CHARS = 512
KEY_MAX_BYTES = 2048


def utf8_len(text: str) -> int:
    """Bytes of ``text`` in UTF-8 (no copy for ASCII text)."""
    return len(text) if text.isascii() else len(text.encode("utf-8"))


def name_too_long(what: str, name: str) -> str | None:
    """The reason a stored name does not fit its column, or None when it does."""
    if len(name) > NAME_MAX_CHARS:
        return f"{what} name is {len(name)} characters, the limit is {NAME_MAX_CHARS}"
    return None


def tag_key_bytes(name: str, value: str) -> int:
    """The bytes one ``-name=value`` part adds to a window key."""
    return utf8_len(name) + utf8_len(value) + 2


def key_bytes(kind: str, metric: str, entity: str, tags_bytes: int = 0) -> int:
    """UTF-8 size of the window key ``kind-metric-entity-t1=v1-...`` of a sample whose
    tags add ``tags_bytes`` (see :func:`tag_key_bytes`)."""
    return len(kind) + utf8_len(metric) + utf8_len(entity) + 2 + tags_bytes


def key_too_long(size: int) -> str | None:
    """The reason a window key of ``size`` bytes does not fit, or None when it does."""
    if size > KEY_MAX_BYTES:
        return f"window key is {size} bytes in UTF-8, the limit is {KEY_MAX_BYTES}"
    return None
