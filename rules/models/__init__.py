from rules.models.batches import ReceivedBatch
from rules.models.registry import Entity, Metric
from rules.models.rule import Rule

__all__ = ["Entity", "Metric", "ReceivedBatch", "Rule"]
