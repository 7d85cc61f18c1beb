"""Developer tools, not product: the fake HipChat server the tests and a dry run share,
the benchmarks, and the management commands that run them.

Nothing in ``atsd_alerts``, ``rules`` or ``notifications`` imports this package.
"""
