"""Series history for charts: recent samples of every numeric series (see :mod:`.store`)."""
