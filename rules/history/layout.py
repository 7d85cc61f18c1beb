"""How the series history is laid out in Redis: key names, the point format, series ids.

* ``hist:series``: every recorded series id; ``hist:m:<metric>``: those of one metric.
  A series id is ``metric SEP entity SEP tags`` (``k=v`` pairs sorted by name,
  ``TAG_SEP`` between them): names never hold these control characters.
* ``hist:p:<sid>``: the newest raw points of a series, one string of little-endian
  doubles ``t1 v1 t2 v2 ...`` (16 B a point, exact): a flush appends with one APPEND
  per series, whose answer (the length) gives the point count for free.
* ``hist:a:<sid>:<hour>``: a hash per series and hour, minute → ``count sum min max
  last`` of the points folded out of the raw string; it expires with the period.
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Mapping
from typing import Any

from django.conf import settings

from atsd_alerts.redis import client

PREFIX = "hist:"
SERIES_SET = PREFIX + "series"  # every recorded series id
RAW = PREFIX + "p:"
POINT = struct.Struct("<dd")
MINUTE_MS = 60_000
HOUR_MS = 3_600_000
FUTURE_MS = 86_400_000  # samples more than a day ahead are clock errors, not history
SEP = "\x1f"  # metric SEP entity SEP tags: names never hold control characters
TAG_SEP = "\x1e"


def period_ms() -> int:
    return int(settings.SERIES_HISTORY_HOURS) * HOUR_MS


def tags_text(tags: Mapping[str, str]) -> str:
    """Canonical text of a tag map: ``k=v`` pairs sorted by name."""
    if not tags:
        return ""
    return TAG_SEP.join(f"{k}={tags[k]}" for k in sorted(tags))


def series_id(metric: str, entity: str, tags: Mapping[str, str]) -> str:
    """The id a series is stored under: metric, entity and canonical tags."""
    return f"{metric}{SEP}{entity}{SEP}{tags_text(tags)}"


def parse_series_id(sid: str) -> tuple[str, str, dict[str, str]]:
    metric, entity, text = sid.split(SEP, 2)
    tags = dict(pair.split("=", 1) for pair in text.split(TAG_SEP)) if text else {}
    return metric, entity, tags


_script_lock = threading.Lock()
_scripts: dict[tuple[int, str], Any] = {}


def script(source: str) -> Any:
    """The Lua ``source`` registered with this process's Redis client (once per client)."""
    redis = client()
    with _script_lock:
        found = _scripts.get((id(redis), source))
        if found is None:
            found = _scripts[(id(redis), source)] = redis.register_script(source)
    return found
