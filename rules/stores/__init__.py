"""What rules read besides their windows: the stores of properties (and, as they come,
messages, entity metadata, replacement tables and named collections).

Ingest writes them (``record``), the partition and the renderer read them through
``DatabaseStores``: cached, bounded reads, never a database query per sample.
"""
