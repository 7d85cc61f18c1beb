from rules.models import lookups  # noqa: F401  (registers field__iwildcard)
from rules.models.alerts import Alert, AlertHistory, RuleErrorRecord, TriggerRecord
from rules.models.catalog import Entity, Metric
from rules.models.groups import EntityGroup
from rules.models.rule import Rule

__all__ = [
    "Alert",
    "AlertHistory",
    "Entity",
    "EntityGroup",
    "Metric",
    "Rule",
    "RuleErrorRecord",
    "TriggerRecord",
]
