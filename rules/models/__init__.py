from rules.models.batches import ReceivedBatch
from rules.models.registry import Entity, Metric

__all__ = ["Entity", "Metric", "ReceivedBatch"]
