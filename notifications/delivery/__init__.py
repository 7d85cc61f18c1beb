"""Delivery of web notifications: from trigger event to chat room, once and in order.

States of a :class:`~notifications.models.Delivery` row::

    PENDING ──claim──▶ SENDING ──2xx──────────────▶ DELIVERED
       ▲                  │ ──cancelAction/empty/disabled──▶ CANCELLED
       │                  │ ──4xx (not 429), config error──▶ FAILED
       ├── retry time ────┘ ──network/5xx/429──▶ PENDING (next_attempt_at)
       │                         └─ deadline (or the optional attempt cap) ─▶ FAILED
       └── sweep: its worker's heartbeat stopped (or it dropped the claim)

* :func:`create_deliveries` (intake) writes one PENDING row per (trigger, fired
  ``web:`` or ``email:`` binding) before anything is sent (design invariant 2).
* :func:`process_order_key` (worker) sends the rows of one order key — one rule
  window and one endpoint — strictly oldest first: while the oldest row waits for
  its retry, younger rows wait too (invariant 3). Each row is claimed, then goes
  through the stages of one send, each a module of its own:

  - ``lookup``: the trigger, binding and endpoint, and the trigger's parameters;
  - ``render``: the text, the details file and the charts (a REPEAT or CANCEL after
    a lost OPEN says so: ``lost_open``);
  - ``send``: the endpoint's requests, each a Notification Log row written before it
    leaves and given its outcome right after the answer (``journal``); a request
    whose answer was lost is looked for in the room before it is sent again
    (``recovery``);
  - ``record``: the outcome on the row — finished, or PENDING with its retry time
    (``policy``).
* An email delivery (``channel`` email) goes through the same claim, order, retries
  and record; its lookup, render and send are :mod:`notifications.delivery.mail`
  (one message per delivery, through the mail client).
* :func:`sweep` takes back the claims of dead workers within seconds (claims) and
  finds due rows nobody is working on (a lost task, a broker restart).

No Celery in here: ``notifications.tasks`` wraps these plain functions.
"""

from notifications.delivery.intake import create_deliveries
from notifications.delivery.worker import process_order_key, sweep

__all__ = ["create_deliveries", "process_order_key", "sweep"]
