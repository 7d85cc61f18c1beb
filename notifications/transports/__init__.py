"""Per-channel transports: one small class per endpoint kind on top of ``base``."""
