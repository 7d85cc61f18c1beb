"""Entities and metrics, created on first sight by ingestion (spec §1.1)."""

from django.db import models


class Entity(models.Model):
    name = models.CharField(max_length=512, unique=True)
    label = models.CharField(max_length=512, blank=True)
    enabled = models.BooleanField(default=True)
    tags = models.JSONField(default=dict, blank=True)
    time_zone = models.CharField(max_length=64, blank=True)
    interpolate = models.CharField(max_length=16, blank=True)  # "", linear, previous
    created = models.DateTimeField(auto_now_add=True)
    last_insert = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "entities"

    def __str__(self) -> str:
        return self.name


class Metric(models.Model):
    name = models.CharField(max_length=512, unique=True)
    label = models.CharField(max_length=512, blank=True)
    enabled = models.BooleanField(default=True)
    tags = models.JSONField(default=dict, blank=True)
    data_type = models.CharField(max_length=16, default="float")
    # Other ATSD metric fields (units, description, ...) as a free map.
    fields = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    last_insert = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class EntityMetric(models.Model):
    """An entity that sent series of a metric, and when it last did (to the minute):
    what ``getEntityCount()`` and ``getEntities()`` select by."""

    entity = models.CharField(max_length=512)
    metric = models.CharField(max_length=512)
    last_insert = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["entity", "metric"], name="one_row_per_entity_metric")
        ]
        indexes = [models.Index(fields=["metric", "last_insert"], name="entity_metric_last")]

    def __str__(self) -> str:
        return f"{self.entity} {self.metric}"
