"""Delivery of web notifications: from trigger event to chat room, reliably and in order.

States of a :class:`~notifications.delivery_model.Delivery` row::

    PENDING ──claim──▶ SENDING ──2xx──────────────▶ DELIVERED
       ▲                  │ ──cancelAction/empty/disabled──▶ CANCELLED
       │                  │ ──4xx (not 429), config error──▶ FAILED
       └── retry time ────┘ ──network/5xx/429──▶ PENDING (next_attempt_at)
                                 └─ attempts or deadline exhausted ─▶ FAILED

* :func:`create_deliveries` (intake) writes one PENDING row per (trigger, fired
  ``web:`` binding) before anything is sent (design invariant 2).
* :func:`process_order_key` (worker) sends the rows of one order key — one rule
  window and one endpoint — strictly oldest first: while the oldest row waits for
  its retry, younger rows wait too (invariant 3).
* :func:`sweep` finds due rows nobody is working on (a lost task, a crashed worker).

No Celery in here: ``notifications.tasks`` wraps these plain functions.
"""

from notifications.delivery.intake import create_deliveries
from notifications.delivery.worker import process_order_key, sweep

__all__ = ["create_deliveries", "process_order_key", "sweep"]
