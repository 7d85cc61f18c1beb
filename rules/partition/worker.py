"""The partitions living in this engine worker process, and rule reloads.

One engine worker consumes one partition queue (concurrency 1), so the windows of a
partition live in exactly one process (design invariant 1). Tests run one worker on
every partition queue, which is equally safe: still one owner per partition.
"""

from __future__ import annotations

import logging

from django.conf import settings

from rules import limits
from rules.alerts.store import record_rule_error, store_items
from rules.alerts.store_reads import StoreReadsService
from rules.contract.triggers import TriggerSnapshot
from rules.engine.engine import Engine
from rules.partition.catalog_cache import CatalogCache
from rules.partition.definitions import load_definitions
from rules.partition.group_cache import GroupCache
from rules.partition.journal import Partition
from rules.partition.lost_windows import close_vanished_alerts
from rules.partition.versions import current_version
from rules.stores.service import DatabaseStores

log = logging.getLogger(__name__)


def sync_rules(engine: Engine, now_ms: int) -> list[TriggerSnapshot]:
    """Install every enabled rule, drop the others; a rule that fails to compile is a
    Rule Error and keeps running in its previous (installed) version, if any."""
    triggers: list[TriggerSnapshot] = []
    wanted = set()
    for definition in load_definitions():
        wanted.add(definition.name)
        try:
            triggers.extend(engine.install(definition, now_ms))
        except Exception as exc:  # a broken rule must not stop the partition
            log.warning("rule %s cannot be installed: %s", definition.name, exc)
            record_rule_error(definition.name, f"rule not installed: {exc}", definition.expression)
    for name in list(engine.rules):
        if name not in wanted:
            triggers.extend(engine.drop_rule(name, now_ms))
    return triggers


class PartitionHost:
    """The partitions one worker process owns, each recovered from Redis on first use.

    A process has one host (``host``); a new host is what a restarted worker starts
    with: no partition in memory, every window to be recovered from Redis.
    """

    def __init__(self) -> None:
        self.partitions: dict[int, Partition] = {}
        self.versions: dict[int, int] = {}
        self.catalog = CatalogCache()
        self.stores = DatabaseStores()
        self.groups = GroupCache(self.catalog.entity)
        self.store_reads = StoreReadsService()

    def new_engine(self) -> Engine:
        return Engine(
            zone=settings.TIME_ZONE,
            entity_lookup=self.catalog.entity,
            metric_lookup=self.catalog.metric,
            stores=self.stores,
            group_member=self.groups.member,
            cancel_on_rule_change=settings.CANCEL_ON_RULE_CHANGE,
            window_limits=limits.window_limits(),
            max_windows=limits.max_windows(),
            store_reads=self.store_reads,
        )

    def get(self, number: int) -> Partition:
        """Partition ``number``, recovered on first use, its rules up to date."""
        part = self.partitions.get(number)
        version = current_version()
        if part is None:
            engine = self.new_engine()
            part = Partition(number, engine, lambda items: store_items(number, items))
            sync_rules(engine, 0)  # the journal replay decides what state results
            close_vanished_alerts(part, part.recover())
            self.partitions[number] = part
            self.versions[number] = version
            part.replace_rules(sync_rules)  # rules may have changed while nobody ran
        elif self.versions.get(number) != version:
            self.versions[number] = version
            part.replace_rules(sync_rules)
        return part


host = PartitionHost()


def get_partition(number: int) -> Partition:
    """This process's partition ``number`` (see ``PartitionHost.get``)."""
    return host.get(number)
