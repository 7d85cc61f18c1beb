"""Microsoft TEAMS endpoints: ``transport`` (Workflows webhook, Adaptive Cards), ``form``,
``xml``."""
