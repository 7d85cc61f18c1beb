"""Window summaries the engine partitions publish for the Rule Windows page.

Each partition periodically replaces its summaries in one Redis hash; the page reads
all partitions' hashes. Summaries are plain JSON dicts:

``rule, window_key, status, window, size, metric, entity, tags, repeat_count,
first_time, last_time, last_value, open_time, open_value, statistics, variables,
partition`` (times in Unix ms or None).
"""

from collections.abc import Iterable
from typing import Any

import orjson
from django.conf import settings
from redis.typing import EncodableT

from atsd_alerts.redis import client, key


def windows_key(partition: int) -> str:
    return key("engine", partition, "windows")


def publish_windows(partition: int, summaries: Iterable[dict[str, Any]]) -> None:
    """Replace ``partition``'s published summaries with ``summaries`` atomically."""
    mapping: dict[EncodableT, EncodableT] = {
        f"{s['rule']}\x00{s['window_key']}": orjson.dumps(s) for s in summaries
    }
    pipe = client().pipeline(transaction=True)
    pipe.delete(windows_key(partition))
    if mapping:
        pipe.hset(windows_key(partition), mapping=mapping)
    pipe.execute()


def read_windows(
    rule: str | None = None, statuses: Iterable[str] | None = None
) -> list[dict[str, Any]]:
    """All published windows, optionally of one rule and some statuses, sorted for display."""
    wanted = {s.upper() for s in statuses} if statuses is not None else None
    out = []
    redis = client()
    for partition in range(settings.ENGINE_PARTITIONS):
        for raw in redis.hvals(windows_key(partition)):
            summary = orjson.loads(raw)
            if rule and summary["rule"] != rule:
                continue
            if wanted is not None and summary["status"] not in wanted:
                continue
            out.append(summary)
    out.sort(key=lambda s: (s["rule"], s["window_key"]))
    return out
