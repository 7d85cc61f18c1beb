"""The rules-changed announcement: what changes a rule's actions outside a rule save.

Saving a ``Rule`` announces itself. Notifications rewrites a rule's bindings without a
save (the Web Notifications tab) and calls ``announce_rules_changed`` after its commit,
so that routers and engine partitions reload the rule within about a second.
"""

from __future__ import annotations

from rules.partition import rule_changes


def announce_rules_changed() -> None:
    """Bump the rules version and wake every engine partition to reload now."""
    rule_changes.announce_rules_changed()
