"""Benchmarks of the hot paths (design "Performance shape"): figures printed, never asserted.

The ``bench_*`` management commands run them; docs/performance.md keeps the figures
with the commands that produced them.
"""
