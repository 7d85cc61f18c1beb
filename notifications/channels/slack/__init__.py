"""SLACK endpoints: ``transport`` (Web API), ``form``, ``xml``."""
