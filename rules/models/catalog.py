"""Entities and metrics, created on first sight by ingestion (spec §1.1)."""

from django.db import models


class Entity(models.Model):
    name = models.CharField(max_length=512, unique=True)
    label = models.CharField(max_length=512, blank=True)
    enabled = models.BooleanField(default=True)
    tags = models.JSONField(default=dict, blank=True)
    time_zone = models.CharField(max_length=64, blank=True)
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
