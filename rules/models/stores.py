"""Data rules read besides their windows: property records, messages, replacement
tables and named collections (spec §1.3, §4.6)."""

from django.db import models


class PropertyRecord(models.Model):
    """The latest state of one property: entity, type and keys (its primary key, §1.3).

    ``identity`` is a digest of (entity, type, keys) so the unique index stays small
    whatever the key lengths. ``tags`` merges every command received for the record
    (an empty value deletes its tag), ``last_tags`` holds the newest command's own
    tags and ``previous_tags`` the merged tags before it (``property_compare()``).
    """

    identity = models.CharField(max_length=64, unique=True)
    entity = models.CharField(max_length=512)
    type = models.CharField(max_length=512)
    keys = models.JSONField(default=dict, blank=True)
    tags = models.JSONField(default=dict, blank=True)
    last_tags = models.JSONField(default=dict, blank=True)
    previous_tags = models.JSONField(default=dict, blank=True)
    time_ms = models.BigIntegerField()
    updated = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["entity", "type", "-time_ms"]
        indexes = [models.Index(fields=["entity", "type"], name="property_entity_type")]

    def __str__(self) -> str:
        return f"{self.entity} {self.type} {self.keys}"


class MessageRecord(models.Model):
    """A stored ``message`` command, kept for ``MESSAGE_RETENTION_HOURS`` (spec §1.3)."""

    entity = models.CharField(max_length=512)
    type = models.CharField(max_length=512, blank=True)
    source = models.CharField(max_length=512, blank=True)
    severity = models.PositiveSmallIntegerField(null=True)
    tags = models.JSONField(default=dict, blank=True)
    text = models.TextField(blank=True)
    time_ms = models.BigIntegerField()
    received = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-time_ms", "-id"]
        indexes = [
            models.Index(fields=["entity", "time_ms"], name="message_entity_time"),
            models.Index(fields=["type", "time_ms"], name="message_type_time"),
        ]

    def __str__(self) -> str:
        return f"{self.entity} {self.type} {self.text[:40]}"


class ReplacementTable(models.Model):
    """A named key → value table (Data > Replacement Tables) read by ``lookup()``.

    ``entries`` keeps the ``[key, value]`` pairs in the order written.
    """

    name = models.CharField(max_length=256, unique=True)
    description = models.TextField(blank=True)
    entries = models.JSONField(default=list, blank=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class NamedCollection(models.Model):
    """A named list of strings (Data > Named Collections) read by ``collection()``."""

    name = models.CharField(max_length=256, unique=True)
    description = models.TextField(blank=True)
    items = models.JSONField(default=list, blank=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
