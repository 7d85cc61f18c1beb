"""A rules version counter in Redis: bumped after every committed rule change.

Ingest routers and engine partitions compare it with the version they loaded and
reload when it moved, so a saved rule takes effect within about a second
(rules.partition.rule_changes bumps it).
"""

from atsd_alerts.redis import client, key

RULES_VERSION = key("rules", "version")


def current_version() -> int:
    return int(client().get(RULES_VERSION) or 0)


def bump_version() -> None:
    client().incr(RULES_VERSION)
