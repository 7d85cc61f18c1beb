from rules.models.registry import Entity, Metric

__all__ = ["Entity", "Metric"]
