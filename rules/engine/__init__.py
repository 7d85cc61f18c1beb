"""The rule engine, pure: windows, statistics, conditions, status and trigger snapshots.

No ORM, no Redis, no Django: plain objects and an explicit clock, driven by the
partitions (rules.partition) and measured by ``bench_engine``.
"""
