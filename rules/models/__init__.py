from rules.models import lookups  # noqa: F401  (registers field__iwildcard)
from rules.models.alerts import Alert, AlertHistory, RuleErrorRecord, TriggerRecord
from rules.models.catalog import Entity, Metric
from rules.models.rule import Rule
from rules.models.stores import MessageRecord, PropertyRecord

__all__ = [
    "Alert",
    "AlertHistory",
    "Entity",
    "MessageRecord",
    "Metric",
    "PropertyRecord",
    "Rule",
    "RuleErrorRecord",
    "TriggerRecord",
]
