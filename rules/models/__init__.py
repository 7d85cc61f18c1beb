from rules.models import lookups  # noqa: F401  (registers field__iwildcard)
from rules.models.alerts import AckLinkUse, Alert, AlertHistory, RuleErrorRecord, TriggerRecord
from rules.models.catalog import Entity, EntityMetric, Metric
from rules.models.groups import EntityGroup
from rules.models.rule import Rule
from rules.models.stores import MessageRecord, NamedCollection, PropertyRecord, ReplacementTable

__all__ = [
    "AckLinkUse",
    "Alert",
    "AlertHistory",
    "Entity",
    "EntityGroup",
    "EntityMetric",
    "MessageRecord",
    "Metric",
    "NamedCollection",
    "PropertyRecord",
    "ReplacementTable",
    "Rule",
    "RuleErrorRecord",
    "TriggerRecord",
]
