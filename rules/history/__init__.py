"""Series history for charts: recent samples of every numeric series, in Redis.

:mod:`.layout` (keys and formats), :mod:`.recorder` (the ingest hook and its writes),
:mod:`.query` (what the portals read), :mod:`.expiry` (the beat task's trim).
"""
