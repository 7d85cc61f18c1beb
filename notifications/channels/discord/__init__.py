"""DISCORD endpoints: ``transport`` (webhooks), ``form``, ``xml``."""
