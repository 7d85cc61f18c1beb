"""Engine partitions: each owns its windows, applies its inbox exactly once, checkpoints.

A partition reads its inbox in order, applies each batch to its engine, journals what
it applied and the triggers it made (the outbox), and snapshots its windows; a
restarted worker rebuilds them from Redis. Rule rows become engine definitions here,
and rule changes reach the running partitions here.
"""
