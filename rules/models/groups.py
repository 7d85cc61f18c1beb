"""Entity groups (ATSD "Entity Groups"): named sets of entities that a rule's
``groupFilter`` and the rows of its overrides table match on (spec §3.1 step 6, §3.11).

A group lists its members by name, or defines them by an expression over each
entity's fields (``tags.location = 'dc1'``, ``name LIKE 'nur*'``), or both: an
entity is a member when it is listed or the expression holds for it.
"""

from __future__ import annotations

from django.db import models


class EntityGroup(models.Model):
    name = models.CharField(max_length=512, unique=True)
    description = models.TextField(blank=True)
    # Entity names, in the order given; matched case-insensitively like entity names.
    members = models.JSONField(default=list, blank=True)
    # A filter expression over one entity (name, label, tags, enabled); "" = none.
    expression = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
