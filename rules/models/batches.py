"""A record of each batch of events that reached an engine worker."""

from django.db import models


class ReceivedBatch(models.Model):
    """One row per batch applied by an engine partition; the batch id makes redelivery a no-op."""

    batch_id = models.CharField(max_length=32, unique=True)
    partition = models.PositiveIntegerField()
    events = models.PositiveIntegerField()
    first_time_ms = models.BigIntegerField(null=True)
    last_time_ms = models.BigIntegerField(null=True)
    received = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received"]

    def __str__(self) -> str:
        return f"{self.batch_id} ({self.events} events, partition {self.partition})"
