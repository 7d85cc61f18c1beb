"""Garbage-collector settings for the long-running workers (listener, engine, notify).

CPython's cyclic collector runs a young collection every 700 net container
allocations and a full one whenever the survivors promoted since the last full
collection reach a quarter of the old generation. An engine partition allocates
thousands of containers per batch (decoded rows, events) that live until the
batch is applied, so young collections kept promoting them and full collections
walked every window, event and module object again and again: 40 % of an engine
worker's CPU in the pipeline benchmark went to ``gc_collect_main``.

Everything the batches allocate is freed by reference counting (no cycles), so
the workers

* move what start-up created (Django, Celery, kombu, compiled rules) into the
  permanent generation, which collections no longer walk (``gc.freeze``), and
* collect young objects every ``GC_GEN0_THRESHOLD`` net allocations instead of
  700, so a batch is applied (and freed) before its objects are looked at.

Cycles are still collected, only less often; memory stays bounded.
"""

from __future__ import annotations

import gc
import os

DEFAULT_GEN0_THRESHOLD = 50_000


def tune_for_throughput() -> None:
    """Freeze start-up objects and raise the young-generation threshold (see module doc).

    ``GC_GEN0_THRESHOLD`` in the environment overrides the threshold; 0 leaves the
    collector as Python configures it.
    """
    threshold = int(os.environ.get("GC_GEN0_THRESHOLD", DEFAULT_GEN0_THRESHOLD))
    if threshold <= 0:
        return
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(threshold, gen1, gen2)
