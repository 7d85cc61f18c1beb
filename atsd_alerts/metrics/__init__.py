"""Prometheus figures of every process, kept in Redis and exported by the web's ``/metrics``.

``tally`` is what the processes write (counters and latency histograms, added into a
Redis pipeline they already send); ``collector`` reads them back with the queue depths,
open alerts and windows; ``views`` serves them behind a login or a bearer token.
"""
