"""A rules version counter in Redis: bumped after every committed rule change.

Ingest routers and engine partitions compare it with the version they loaded and
reload when it moved, so a saved rule takes effect within about a second.
"""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from atsd_alerts.redis import client, key
from rules.models import Rule

RULES_VERSION = key("rules", "version")


def current_version() -> int:
    return int(client().get(RULES_VERSION) or 0)


def bump_version() -> None:
    client().incr(RULES_VERSION)


def announce_rules_changed() -> None:
    """Bump the version and wake every partition so it reloads now, not at its next event."""
    from django.conf import settings

    from rules.ingest.handoff import engine_queue
    from rules.tasks import tick_partition

    bump_version()
    for partition in range(settings.ENGINE_PARTITIONS):
        tick_partition.apply_async(args=[partition], queue=engine_queue(partition))


@receiver(post_save, sender=Rule)
@receiver(post_delete, sender=Rule)
def _rule_changed(sender: type, **kwargs: object) -> None:
    transaction.on_commit(announce_rules_changed)
